package org.postcopysim.cli;

import picocli.CommandLine.Command;

/** The root command: a simulator of userfaultfd-style postcopy live migration. */
@Command(name = "postcopy-sim",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = "Simulates postcopy live migration between a source and a destination VM process, "
                + "with KVM Userfault memory-fault exits on the destination.",
        subcommands = {DemoCommand.class, SourceCommand.class, DestCommand.class, FaultBenchCommand.class,
                org.postcopysim.cli.bench.BenchCommand.class,
                org.postcopysim.cli.compare.CompareCommand.class,
                org.postcopysim.cli.compare.SimulateCommand.class,
                org.postcopysim.cli.validate.ValidateCommand.class,
                org.postcopysim.cli.soak.SoakCommand.class,
                picocli.CommandLine.HelpCommand.class})
public final class PostcopySimCommand implements Runnable {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new picocli.CommandLine.ParameterException(spec.commandLine(), "a subcommand is required");
    }
}
