package io.mechanize.worker.architecture;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/** Keeps the worker's shape: Docker behind the sandbox seam, Kafka on the consume/publish side. */
class PackageDependenciesTest {
    private static final JavaClasses WORKER = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("io.mechanize.worker");

    @Test
    void dockerJavaIsUsedOnlyInTheSandboxPackage() {
        noClasses().that().resideOutsideOfPackage("io.mechanize.worker.sandbox..")
                .should().dependOnClassesThat().resideInAPackage("com.github.dockerjava..")
                .because("the sandbox package is the one seam to the Docker engine")
                .check(WORKER);
    }

    @Test
    void kafkaClientsAreUsedOnlyOnTheConsumeAndPublishSideAndWhereTheWorkerIsAssembled() {
        noClasses().that().resideOutsideOfPackages("io.mechanize.worker.consume..", "io.mechanize.worker.publish..")
                .and().doNotHaveFullyQualifiedName("io.mechanize.worker.Worker")
                .should().dependOnClassesThat().resideInAPackage("org.apache.kafka..")
                .because("workspaces, actions and the command state machine know nothing of Kafka")
                .check(WORKER);
    }

    @Test
    void theCommandStateMachineKnowsNeitherKafkaNorDocker() {
        noClasses().that().resideInAnyPackage("io.mechanize.worker.command..", "io.mechanize.worker.dispatch..",
                        "io.mechanize.worker.workspace..")
                .should().dependOnClassesThat().resideInAnyPackage("org.apache.kafka..", "com.github.dockerjava..",
                        "io.mechanize.worker.sandbox..")
                .check(WORKER);
    }
}
