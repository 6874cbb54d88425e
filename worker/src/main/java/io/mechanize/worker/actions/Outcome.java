package io.mechanize.worker.actions;

import static java.util.Objects.requireNonNull;

import io.mechanize.schemas.avro.ActionResult;
import io.mechanize.worker.sandbox.UsageReport;

/**
 * An action's result and its measurement, which the shell session takes in the action's own
 * round trip (unmeasured when the action was refused before anything ran).
 */
record Outcome(ActionResult.Builder result, UsageReport usage) {
    Outcome {
        requireNonNull(result, "result is null");
        requireNonNull(usage, "usage is null");
    }

    static Outcome refused(ActionResult.Builder result) {
        return new Outcome(result, UsageReport.unmeasured());
    }
}
