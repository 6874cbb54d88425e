package io.mechanize.examples.agentloop;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class FixFailingTestAgentTest {
    private static final String CALC = "def add(a, b):\n    return a - b\n\n\ndef mul(a, b):\n    return a * b\n";

    @Test
    void proposesToFixTheReturnLineOfTheFunctionPytestNames() {
        String output = """
                    def test_add():
                >       assert add(2, 3) == 5
                E       assert -1 == 5
                E        +  where -1 = add(2, 3)
                """;
        assertThat(FixFailingTestAgent.propose(output, CALC))
                .contains(new FixFailingTestAgent.Edit("calc.py", "    return a - b", "    return a + b"));
    }

    @Test
    void proposesNothingWhenTheOutputNamesNoFunctionOrTheFunctionHasNoSuspect() {
        assertThat(FixFailingTestAgent.propose("E   ImportError: no module named calc", CALC)).isEmpty();
        assertThat(FixFailingTestAgent.propose("E  +  where 5 = mul(2, 3)", CALC)).isEmpty();
    }
}
