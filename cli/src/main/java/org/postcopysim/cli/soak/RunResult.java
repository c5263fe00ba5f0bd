package org.postcopysim.cli.soak;

import java.time.Instant;
import java.util.List;

/** One finished soak run: its index, seed and configuration, what it produced and what it violated. */
record RunResult(int index, RunConfig config, Outcome outcome, List<String> violations, Instant started) {
    RunResult {
        violations = List.copyOf(violations);
    }

    boolean passed() {
        return violations.isEmpty();
    }

    long seed() {
        return config.runSeed();
    }

    /** The JUnit test case name: "run 7: uffd-3vcpu-16MiB-zipf-corrupt:0.01". */
    String testName() {
        return "run " + index + ": " + config.shortName();
    }
}
