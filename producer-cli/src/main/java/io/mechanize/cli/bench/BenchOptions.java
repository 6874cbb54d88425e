package io.mechanize.cli.bench;

/**
 * What to measure.
 *
 * @param numConcurrent workspaces open at once (the worker's capacity in embedded mode)
 * @param actionsPerSim {@code true} actions in the one batch of each simulation
 * @param simulations simulations of the throughput phase
 * @param image the sandbox image
 * @param profileMemory also report JVM heap and per-container memory spread
 */
public record BenchOptions(int numConcurrent, int actionsPerSim, int simulations, String image, boolean profileMemory) {
    public BenchOptions {
        if (numConcurrent < 1 || actionsPerSim < 1 || simulations < 1) {
            throw new IllegalArgumentException("--num-concurrent, --actions-per-sim and --simulations must be >= 1");
        }
    }
}
