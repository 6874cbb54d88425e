package io.mechanize.cli.client;

import io.mechanize.schemas.avro.Action;
import io.mechanize.schemas.avro.ActionBatch;
import io.mechanize.schemas.avro.FileEditAction;
import io.mechanize.schemas.avro.GitOperationAction;
import io.mechanize.schemas.avro.IdeAction;
import io.mechanize.schemas.avro.TerminalCommandAction;
import io.mechanize.schemas.avro.TestRunAction;
import java.util.ArrayList;
import java.util.List;

/**
 * A small builder of one {@link ActionBatch}: {@code Actions.batch().run("ls").test("python3 -m pytest -q",
 * "pytest").build()}. Action ids are {@code a0}, {@code a1}, ... in batch order unless given.
 * For anything the shortcuts do not cover, {@link #add(Object)} takes any action payload record.
 */
public final class Actions {
    private final List<Action> actions = new ArrayList<>();
    private boolean stopOnFailure;

    private Actions() {}

    public static Actions batch() {
        return new Actions();
    }

    /** Stop at the first failed action; the batch then answers with fewer results than actions. */
    public Actions stopOnFailure() {
        this.stopOnFailure = true;
        return this;
    }

    /** A terminal command in the workspace's shell session; succeeds on exit 0. */
    public Actions run(String command) {
        return add(TerminalCommandAction.newBuilder().setCommand(command).build());
    }

    public Actions run(String command, int timeoutSeconds) {
        return add(TerminalCommandAction.newBuilder().setCommand(command).setTimeout(timeoutSeconds).build());
    }

    /** A test run whose report is parsed ({@code pytest}, {@code go-json}, {@code generic}, ...). */
    public Actions test(String command, String framework) {
        return add(TestRunAction.newBuilder().setCommand(command).setFramework(framework).build());
    }

    public Actions read(String path) {
        return add(FileEditAction.newBuilder().setFilePath(path).setOperation("read").build());
    }

    public Actions write(String path, String content) {
        return add(FileEditAction.newBuilder().setFilePath(path).setOperation("write").setContent(content).build());
    }

    /** Replaces the one occurrence of {@code oldStr}; fails when it occurs zero or several times. */
    public Actions strReplace(String path, String oldStr, String newStr) {
        return add(FileEditAction.newBuilder().setFilePath(path).setOperation("str_replace").setOldStr(oldStr)
                .setNewStr(newStr).build());
    }

    public Actions git(String operation, String... args) {
        return add(GitOperationAction.newBuilder().setOperation(operation).setArgs(List.of(args)).build());
    }

    public Actions search(String regex) {
        return add(IdeAction.newBuilder().setOperation("search").setPattern(regex).build());
    }

    /** Any action payload record (FileEditAction, TerminalCommandAction, ...). */
    public Actions add(Object payload) {
        return add("a" + actions.size(), payload);
    }

    public Actions add(String actionId, Object payload) {
        actions.add(Action.newBuilder().setActionId(actionId).setPayload(payload).build());
        return this;
    }

    public ActionBatch build() {
        if (actions.isEmpty()) {
            throw new IllegalStateException("a batch needs at least one action");
        }
        return ActionBatch.newBuilder().setActions(List.copyOf(actions)).setStopOnFailure(stopOnFailure).build();
    }
}
