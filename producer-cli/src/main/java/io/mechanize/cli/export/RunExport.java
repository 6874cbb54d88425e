package io.mechanize.cli.export;

import io.mechanize.schemas.avro.ActionResult;
import io.mechanize.schemas.avro.EvaluationMetrics;
import io.mechanize.schemas.avro.SimulationEvent;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Writes a run's events as two tables in a directory: {@code actions.<ext>} (one row per action
 * result) and {@code evaluations.<ext>} (one row per evaluation). Feed the run's events in the
 * order of their partitions, so a workspace's {@code WorkspaceCreated} comes before its rows.
 */
public final class RunExport implements AutoCloseable {
    public enum Format {
        parquet, jsonl
    }

    private final ExportRows rows = new ExportRows();
    private final RowWriter actions;
    private final RowWriter evaluations;
    private long actionRows;
    private long evaluationRows;

    public RunExport(Path directory, Format format) throws IOException {
        Files.createDirectories(directory);
        this.actions = open(directory.resolve("actions." + format), format, ExportRows.ACTION);
        try {
            this.evaluations = open(directory.resolve("evaluations." + format), format, ExportRows.EVALUATION);
        } catch (IOException | RuntimeException e) {
            actions.close();
            throw e;
        }
    }

    private static RowWriter open(Path file, Format format, org.apache.avro.Schema schema) throws IOException {
        return switch (format) {
            case parquet -> new ParquetRowWriter(file, schema);
            case jsonl -> new JsonlRowWriter(file);
        };
    }

    public void accept(SimulationEvent event) {
        rows.observe(event);
        try {
            if (event.getBody() instanceof ActionResult r) {
                actions.write(rows.action(event, r));
                actionRows++;
            } else if (event.getBody() instanceof EvaluationMetrics m) {
                evaluations.write(rows.evaluation(event, m));
                evaluationRows++;
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the export", e);
        }
    }

    public long actionRows() {
        return actionRows;
    }

    public long evaluationRows() {
        return evaluationRows;
    }

    @Override
    public void close() throws IOException {
        try {
            actions.close();
        } finally {
            evaluations.close();
        }
    }
}
