package org.postcopysim.time;

/**
 * A monotonic clock in nanoseconds, injected wherever code measures time, so that the same code
 * measures in real time (the two-process migration, the benchmarks) and in virtual time (the
 * discrete-event simulator, tests that drive time by hand). Only the differences between two
 * readings of one clock mean anything.
 */
@FunctionalInterface
public interface NanoClock {
    /** The current time (nanoseconds, arbitrary origin, never decreasing). */
    long nanoTime();

    /** Real time: {@link System#nanoTime()}. */
    NanoClock SYSTEM = System::nanoTime;
}
