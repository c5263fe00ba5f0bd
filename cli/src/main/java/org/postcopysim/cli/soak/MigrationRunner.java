package org.postcopysim.cli.soak;

import java.time.Duration;

/** Runs one soak migration to its outcome (the real one: {@link LoopbackMigration}; tests inject others). */
@FunctionalInterface
interface MigrationRunner {
    /** Runs {@code config}, giving up after {@code bound}; never throws for a failed migration. */
    Outcome run(RunConfig config, Duration bound);
}
