package io.mechanize.worker.actions;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class IdeActionHandlerTest {
    @Test
    void viewNumbersLinesFromTheRangeStart() {
        assertThat(IdeActionHandler.numbered("a\nb\n", 7)).isEqualTo("     7\ta\n     8\tb\n");
        assertThat(IdeActionHandler.numbered("a\n\nlast", 1)).isEqualTo("     1\ta\n     2\t\n     3\tlast\n");
        assertThat(IdeActionHandler.numbered("", 1)).isEmpty();
    }
}
