package io.mechanize.worker.actions;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mechanize.schemas.avro.GitOperationAction;
import java.util.List;
import org.junit.jupiter.api.Test;

class GitArgsTest {
    @Test
    void argumentsThatLeaveTheWorkspaceAreRefused() {
        for (String arg : List.of("-C", "-C/etc", "-c", "--git-dir=/x", "--work-tree", "--no-index", "/etc/passwd",
                "--output=/tmp/x", "../up", "a/../../b", "~/x", "--exec-path=/bin")) {
            assertThat(GitArgs.refusal(arg)).as(arg).isNotNull();
        }
        for (String arg : List.of("-a", "--stat", "HEAD~1", "-b", "feature", "/workspace/src", "--oneline", "-n", "5")) {
            assertThat(GitArgs.refusal(arg)).as(arg).isNull();
        }
    }

    @Test
    void argvIsBuiltWithoutAShellAndPathsAfterADoubleDash() {
        GitOperationAction commit = GitOperationAction.newBuilder().setOperation("commit").setMessage("fix; rm -rf /")
                .setArgs(List.of("-a")).build();
        assertThat(GitOperationHandler.argv(commit)).containsExactly("git", "--no-pager", "commit", "-m", "fix; rm -rf /", "-a");
        GitOperationAction diff = GitOperationAction.newBuilder().setOperation("diff").setPaths(List.of("-rf")).build();
        assertThat(GitOperationHandler.argv(diff)).containsExactly("git", "--no-pager", "diff", "--no-color", "--", "-rf");
        assertThatThrownBy(() -> GitOperationHandler.argv(GitOperationAction.newBuilder().setOperation("commit").build()))
                .hasMessage("git commit needs a message");
        assertThatThrownBy(() -> GitOperationHandler.argv(GitOperationAction.newBuilder().setOperation("status")
                .setArgs(List.of("-C", "/etc")).build())).isInstanceOf(SecurityException.class);
    }
}
