package org.postcopysim.cli.compare;

/** Carries out one run of a plan; {@link ChildRunner} in a child JVM, a fake in tests. */
@FunctionalInterface
interface RunExecutor {
    /** Runs {@code run} to its end; a failure is an outcome, not an exception. */
    RunOutcome execute(RunPlan.Run run) throws InterruptedException;
}
