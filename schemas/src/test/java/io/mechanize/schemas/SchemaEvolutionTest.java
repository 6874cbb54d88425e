package io.mechanize.schemas;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.SchemaCompatibility.SchemaPairCompatibility;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every current schema must read what its last released version wrote (BACKWARD, as the registry
 * enforces). When a release ships, copy the .avsc files to src/test/resources/released/.
 */
class SchemaEvolutionTest {

    static Stream<Arguments> currentAndReleased() {
        Map<String, Schema> current = Map.of(
                "SimulationCommand.avsc", ContractSchemas.simulationCommand(),
                "SimulationEvent.avsc", ContractSchemas.simulationEvent(),
                "WorkerMetrics.avsc", ContractSchemas.workerMetrics(),
                "WorkspaceState.avsc", ContractSchemas.workspaceState());
        return current.entrySet().stream().map(e -> Arguments.of(e.getKey(), e.getValue()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("currentAndReleased")
    void currentSchemaReadsWhatTheReleasedOneWrote(String file, Schema current) throws IOException {
        Schema released = released(file);

        SchemaPairCompatibility result = SchemaCompatibility.checkReaderWriterCompatibility(current, released);

        assertThat(result.getType())
                .as("%s is not BACKWARD compatible with released/%s: %s",
                        current.getFullName(), file, result.getResult().getIncompatibilities())
                .isEqualTo(SchemaCompatibility.SchemaCompatibilityType.COMPATIBLE);
        assertThat(released.getFullName()).isEqualTo(current.getFullName());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("currentAndReleased")
    void theCheckCatchesARequiredFieldAddedWithoutDefault(String file, Schema current) throws IOException {
        Schema broken = new Schema.Parser().parse(current.toString().replaceFirst(
                "\"fields\":\\[", "\"fields\":[{\"name\":\"added_without_default\",\"type\":\"string\"},"));

        assertThat(SchemaCompatibility.checkReaderWriterCompatibility(broken, released(file)).getType())
                .isEqualTo(SchemaCompatibility.SchemaCompatibilityType.INCOMPATIBLE);
    }

    private static Schema released(String file) throws IOException {
        try (InputStream in = SchemaEvolutionTest.class.getResourceAsStream("/released/" + file)) {
            assertThat(in).as("released/%s on the test classpath", file).isNotNull();
            return new Schema.Parser().parse(in);
        }
    }
}
