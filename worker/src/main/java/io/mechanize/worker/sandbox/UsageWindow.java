package io.mechanize.worker.sandbox;

/** The measurement of one action: opened before it, finished after it. */
@FunctionalInterface
public interface UsageWindow {
    /** Never throws for a measurement problem: it then reports {@link UsageReport#unmeasured()}. */
    UsageReport finish();
}
