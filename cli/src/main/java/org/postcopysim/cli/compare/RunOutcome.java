package org.postcopysim.cli.compare;

import java.nio.file.Path;

/**
 * How one run ended: with a {@link RunRecord} (exit 0 and a summary), or with the reason it has
 * none. {@code exitCode} is the child's, or -1 when it was killed or never started.
 */
record RunOutcome(RunPlan.Run run, RunRecord record, int exitCode, String failure, Path log) {

    static RunOutcome finished(RunRecord record, Path log) {
        return new RunOutcome(record.run(), record, 0, null, log);
    }

    static RunOutcome failed(RunPlan.Run run, int exitCode, String failure, Path log) {
        return new RunOutcome(run, null, exitCode, failure, log);
    }

    boolean ok() {
        return failure == null;
    }
}
