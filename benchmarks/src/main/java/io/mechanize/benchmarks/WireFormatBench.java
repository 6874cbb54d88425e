package io.mechanize.benchmarks;

import io.mechanize.schemas.AvroTrust;
import io.mechanize.schemas.avro.Action;
import io.mechanize.schemas.avro.ActionBatch;
import io.mechanize.schemas.avro.SimulationCommand;
import io.mechanize.schemas.avro.TerminalCommandAction;
import io.mechanize.schemas.wire.AvroDeserializer;
import io.mechanize.schemas.wire.AvroSerializer;
import io.mechanize.schemas.wire.SchemaRegistryClient;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.avro.Schema;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/** Confluent wire format (magic byte, schema id, Avro binary) of a command: serialize and deserialize. */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(1)
public class WireFormatBench {
    /** Actions in the command's batch. */
    @Param({"1", "100"})
    int actions;

    private AvroSerializer<SimulationCommand> serializer;
    private AvroDeserializer<SimulationCommand> deserializer;
    private SimulationCommand command;
    private byte[] bytes;

    /** A registry that knows one schema: the benchmark measures the serde, not HTTP. */
    static final class OneSchemaRegistry implements SchemaRegistryClient {
        @Override
        public int register(String subject, Schema schema) {
            return 1;
        }

        @Override
        public Schema schemaById(int id) {
            return SimulationCommand.getClassSchema();
        }

        @Override
        public boolean isCompatible(String subject, Schema schema) {
            return true;
        }
    }

    @Setup
    public void setUp() {
        AvroTrust.trustContractClasses();
        OneSchemaRegistry registry = new OneSchemaRegistry();
        serializer = new AvroSerializer<>(registry, SimulationCommand.getClassSchema());
        deserializer = new AvroDeserializer<>(registry, SimulationCommand.class);
        List<Action> list = new ArrayList<>();
        for (int i = 0; i < actions; i++) {
            list.add(Action.newBuilder().setActionId("a" + i)
                    .setPayload(TerminalCommandAction.newBuilder().setCommand("python3 -m pytest -q tests/").build())
                    .build());
        }
        command = SimulationCommand.newBuilder().setWorkspaceId("run-20250101-000000-abcdef-00001-fix-fib")
                .setRunId("run-20250101-000000-abcdef").setSeq(1).setSubmittedAt(Instant.now())
                .setBody(ActionBatch.newBuilder().setActions(list).build()).build();
        bytes = serializer.serialize("mechanize.commands", command);
    }

    @Benchmark
    public byte[] serialize() {
        return serializer.serialize("mechanize.commands", command);
    }

    @Benchmark
    public SimulationCommand deserialize() {
        return deserializer.deserialize("mechanize.commands", bytes);
    }
}
