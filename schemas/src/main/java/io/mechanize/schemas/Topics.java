package io.mechanize.schemas;

import java.util.Objects;

/** The names of the topics every part of the fleet shares (see ARCHITECTURE.md, "Topics"). */
public final class Topics {

    /** {@code SimulationCommand} values, key = workspace id; one topic so a workspace's order is a partition's order. */
    public static final String COMMANDS = "mechanize.commands";
    /** {@code SimulationEvent} values, key = workspace id; read with {@code isolation.level=read_committed}. */
    public static final String RESULTS = "mechanize.results";
    /** {@code WorkerMetrics} snapshots, key = worker id. */
    public static final String METRICS = "mechanize.metrics";
    /** {@code WorkspaceState}, compacted, key = workspace id. */
    public static final String WORKSPACES = "mechanize.workspaces";
    /** Original bytes of commands that could not be decoded or were invalid, with {@code mechanize.error.*} headers. */
    public static final String COMMANDS_DLQ = "mechanize.commands.dlq";
    /** The compacted topic where the schema registry keeps its schemas (as Confluent's does). */
    public static final String SCHEMAS = "_schemas";

    private Topics() {
    }

    /** The registry subject of a topic's values under Confluent's TopicNameStrategy: {@code <topic>-value}. */
    public static String valueSubject(String topic) {
        Objects.requireNonNull(topic, "topic is null");
        if (topic.isBlank()) {
            throw new IllegalArgumentException("topic is blank: a value subject needs a topic name");
        }
        return topic + "-value";
    }
}
