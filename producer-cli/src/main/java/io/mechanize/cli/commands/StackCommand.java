package io.mechanize.cli.commands;

import io.mechanize.cli.embedded.EmbeddedStack;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "stack", mixinStandardHelpOptions = true,
        description = {"Run the embedded Kafka broker and schema registry in the foreground, for workers and "
                + "producers in other processes on this machine.",
                "Prints bootstrap.servers=... and schema.registry.url=..., then runs until stopped."})
public final class StackCommand implements Callable<Integer> {
    @Option(names = "--kafka-port", defaultValue = "0", description = "Broker port on 127.0.0.1 (0: any free port).")
    int kafkaPort;

    @Option(names = "--registry-port", defaultValue = "0",
            description = "Registry port on 127.0.0.1 (0: any free port).")
    int registryPort;

    @Option(names = "--data-dir", description = "Keep the broker's data here (default: a temporary directory).")
    Path dataDir;

    @Override
    public Integer call() throws Exception {
        EmbeddedStack stack = EmbeddedStack.start(dataDir, kafkaPort, registryPort);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            stack.close();
            stopped.countDown();
        }, "mechanize-stack-shutdown"));
        System.out.println("bootstrap.servers=" + stack.bootstrapServers());
        System.out.println("schema.registry.url=" + stack.schemaRegistryUrl());
        System.out.flush();
        stopped.await();
        return 0;
    }
}
