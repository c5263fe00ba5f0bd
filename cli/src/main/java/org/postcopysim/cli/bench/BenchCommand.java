package org.postcopysim.cli.bench;

import org.postcopysim.cli.VersionProvider;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code postcopy-sim bench}: benchmarks that report the simulator's speed as ratios against a
 * limit measured in the same run, never as absolute numbers checked against a constant.
 */
@Command(name = "bench", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        description = "Benchmarks: each measures a limit of this machine and the simulator in one run and reports "
                + "their ratio.",
        subcommands = {LatencyBenchCommand.class, ThroughputBenchCommand.class, PingPongServerCommand.class})
public final class BenchCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(), "a benchmark is required (for example: bench latency)");
    }
}
