package io.mechanize.worker.actions;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class WorkspacePathsTest {
    private static final String HOSTILE = "a b/$(touch /tmp/p)/`id`/'\"; rm -rf /";

    @Test
    void theAgentsPathIsAPositionalParameterNeverShellText() {
        for (List<String> argv : List.of(WorkspacePaths.directory(HOSTILE))) {
            assertThat(argv.subList(0, 2)).containsExactly("bash", "-c");
            assertThat(argv.get(2)).doesNotContain(HOSTILE).doesNotContain("rm -rf");
            assertThat(argv.get(4)).isEqualTo(HOSTILE);
        }
    }

    @Test
    void theResolveStepChecksThePrefixAfterRealpath() {
        String script = WorkspacePaths.directory("x").get(2);
        assertThat(script).contains("realpath -m -- \"$p\"").contains("/workspace/*)").contains("exit 97");
    }

    @Test
    void lineRangesAreOneBasedAndInclusive() {
        assertThat(WorkspacePaths.lineRange(null)).isNull();
        assertThat(WorkspacePaths.lineRange(List.of(1, 1))).containsExactly(1, 1);
        assertThat(WorkspacePaths.lineRange(List.of(3, 9))).containsExactly(3, 9);
        assertThatThrownBy(() -> WorkspacePaths.lineRange(List.of(0, 3))).hasMessageContaining("need 1 <= first <= last");
        assertThatThrownBy(() -> WorkspacePaths.lineRange(List.of(4, 3))).hasMessageContaining("[4, 3] is invalid");
        assertThatThrownBy(() -> WorkspacePaths.lineRange(List.of(1))).hasMessageContaining("must be [first, last]");
        assertThatThrownBy(() -> WorkspacePaths.lineRange(Arrays.asList(1, null))).hasMessageContaining("must be [first, last]");
    }
}
