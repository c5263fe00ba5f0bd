package org.postcopysim.cli;

import picocli.CommandLine.Option;

/** {@code --seed}: every randomized run takes one and prints it; without it a fresh seed is drawn and printed. */
public final class SeedOption {
    @Option(names = "--seed", paramLabel = "SEED",
            description = "Seed of everything random in this run (guest contents on the source, vCPU access "
                    + "streams on the destination). Default: a fresh seed, printed so the run can be replayed.")
    Long seed;

    private long resolved;
    private boolean drawn;

    /** The seed to use: the one given, or a fresh one drawn once. */
    public synchronized long value() {
        if (seed != null) return seed;
        if (!drawn) {
            resolved = System.nanoTime() ^ (System.currentTimeMillis() << 20);
            resolved &= Long.MAX_VALUE;
            drawn = true;
        }
        return resolved;
    }
}
