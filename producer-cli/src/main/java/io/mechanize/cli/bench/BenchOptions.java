package io.mechanize.cli.bench;

/**
 * What to measure.
 *
 * @param numConcurrent workspaces open at once (the worker's capacity in embedded mode)
 * @param actionsPerSim {@code true} actions in the one batch of each simulation
 * @param simulations simulations of the throughput phase
 * @param image the sandbox image
 * @param runtime the OCI runtime of every container the run makes, the baselines' included (say
 *     {@code runsc}, gVisor), or null for the engine's default
 * @param profileMemory also report JVM heap and per-container memory spread
 */
public record BenchOptions(int numConcurrent, int actionsPerSim, int simulations, String image, String runtime,
        boolean profileMemory) {
    public BenchOptions {
        if (numConcurrent < 1 || actionsPerSim < 1 || simulations < 1) {
            throw new IllegalArgumentException("--num-concurrent, --actions-per-sim and --simulations must be >= 1");
        }
        if (runtime != null && runtime.isBlank()) {
            throw new IllegalArgumentException("--runtime must name an OCI runtime the engine has registered, was blank");
        }
    }
}
