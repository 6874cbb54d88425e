package io.mechanize.worker.actions;

import io.mechanize.schemas.avro.ActionResult;
import io.mechanize.schemas.avro.ActionType;
import io.mechanize.schemas.avro.ResourceUsage;
import io.mechanize.schemas.avro.SecurityViolation;
import io.mechanize.schemas.avro.StateChanges;
import io.mechanize.schemas.avro.ViolationType;
import io.mechanize.worker.toolkit.HelperReply;
import java.util.ArrayList;
import java.util.List;

/** Starting points for results: every required field set, nothing claimed yet. */
final class ActionResults {
    private ActionResults() {}

    /** A failed result with zero usage, no changes and no violations; handlers fill in the rest. */
    static ActionResult.Builder draft(String actionId, int index, ActionType type) {
        return ActionResult.newBuilder()
                .setActionId(actionId)
                .setActionIndex(index)
                .setActionType(type)
                .setSuccess(false)
                .setExecutionTimeMs(0)
                .setResourceUsage(ResourceUsage.newBuilder().build())
                .setStateChanges(StateChanges.newBuilder()
                        .setCreated(new ArrayList<>())
                        .setModified(new ArrayList<>())
                        .setDeleted(new ArrayList<>())
                        .build())
                .setSecurityViolations(new ArrayList<>());
    }

    static ActionResult.Builder refuse(ActionResult.Builder draft, ViolationType type, String why) {
        List<SecurityViolation> violations = new ArrayList<>(draft.getSecurityViolations());
        violations.add(new SecurityViolation(type, why));
        return draft.setSuccess(false).setErrorMessage(why).setSecurityViolations(violations);
    }

    static ActionResult.Builder violation(ActionResult.Builder draft, ViolationType type, String detail) {
        List<SecurityViolation> violations = new ArrayList<>(draft.getSecurityViolations());
        violations.add(new SecurityViolation(type, detail));
        return draft.setSecurityViolations(violations);
    }

    /**
     * The result for a helper reply that was not ok (with its PATH_ESCAPE, DISK_QUOTA or TIMEOUT
     * violation), or null when it was ok.
     */
    static ActionResult.Builder helperFailure(ActionResult.Builder draft, HelperReply reply) {
        if (reply.ok()) {
            return null;
        }
        if (reply.escape()) {
            return refuse(draft, ViolationType.PATH_ESCAPE, "refused: " + reply.error());
        }
        if (reply.timedOut()) {
            return refuse(draft, ViolationType.TIMEOUT, reply.error());
        }
        draft.setSuccess(false).setErrorMessage(reply.error());
        if (reply.noSpace()) {
            violation(draft, ViolationType.DISK_QUOTA, reply.error() + " (the /workspace size quota)");
        }
        return draft;
    }

    /** Adds the reply's created/modified/deleted lists to the result's state changes. */
    static ActionResult.Builder changes(ActionResult.Builder draft, HelperReply reply) {
        StateChanges changes = draft.getStateChanges();
        changes.getCreated().addAll(reply.strings("created"));
        changes.getModified().addAll(reply.strings("modified"));
        changes.getDeleted().addAll(reply.strings("deleted"));
        return draft;
    }
}
