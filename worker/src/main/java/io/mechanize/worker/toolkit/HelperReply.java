package io.mechanize.worker.toolkit;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.util.ArrayList;
import java.util.List;

/**
 * What the in-container helper answered.
 *
 * @param ok whether the operation was done
 * @param error why not (null when ok)
 * @param escape the path left /workspace (report PATH_ESCAPE)
 * @param noSpace the disk quota was hit (report DISK_QUOTA)
 * @param timedOut the helper ran past its timeout (report TIMEOUT)
 * @param body the whole reply, for the operation's own fields
 */
public record HelperReply(boolean ok, String error, boolean escape, boolean noSpace, boolean timedOut, JsonNode body) {
    public HelperReply {
        requireNonNull(body, "body is null");
        if (!ok && error == null) {
            throw new IllegalArgumentException("a failed reply needs an error");
        }
    }

    static HelperReply of(JsonNode body) {
        boolean ok = body.path("ok").asBoolean(false);
        String error = ok ? null : body.path("error").asText("the helper gave no reason");
        return new HelperReply(ok, error, body.path("escape").asBoolean(false), body.path("no_space").asBoolean(false),
                false, body);
    }

    static HelperReply failed(String error, boolean timedOut) {
        return new HelperReply(false, error, false, false, timedOut, JsonNodeFactory.instance.objectNode());
    }

    public String text(String field) {
        return body.path(field).asText("");
    }

    public List<String> strings(String field) {
        List<String> out = new ArrayList<>();
        body.path(field).forEach(n -> out.add(n.asText()));
        return out;
    }
}
