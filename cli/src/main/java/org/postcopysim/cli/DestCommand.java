package org.postcopysim.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import org.postcopysim.dest.DestConfig;
import org.postcopysim.dest.DestMetrics;
import org.postcopysim.dest.DestVm;
import org.postcopysim.dest.MigrationSummary;
import org.postcopysim.protocol.Reliability;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code postcopy-sim dest}: resume the guest on the simulated KVM and pull its memory from the source. */
@Command(name = "dest", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        description = "Run the destination VM: connect to the source, resume the vCPUs at once with every page "
                + "missing (KVM_MEM_USERFAULT set), fetch pages on memory-fault exits while the background "
                + "stream fills the rest, then verify all memory with the source. Exits 0 only for a verified migration.")
public final class DestCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--connect", paramLabel = "HOST:PORT", converter = HostPort.Converter.class, required = true,
            description = "The source's address.")
    HostPort connect;

    @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "30",
            description = "Bound on connecting and on each handshake step. Default: ${DEFAULT-VALUE}.")
    long timeoutSeconds;

    @Option(names = "--progress", paramLabel = "WHEN", defaultValue = "auto",
            description = "Progress of pages present: a bar on stderr when auto (only on a terminal) or always; "
                    + "never; or lines (a 'progress: PRESENT/TOTAL pages' line on stdout when it changes, for a "
                    + "parent process). Default: ${DEFAULT-VALUE}.")
    MigrationProgress.When progressWhen;

    @Mixin
    VcpuOptions vcpus;

    @Mixin
    FaultModeOptions faults;

    @Mixin
    BackendOption backend;

    @Mixin
    SeedOption seed;

    @Mixin
    JsonOption json;

    @Mixin
    MetricsOption metrics;

    @Mixin
    TlsOptions tls;

    @Mixin
    ChaosOption chaos;

    @Mixin
    RecoveryOptions recovery;

    @Mixin
    HostOptions host;

    @Mixin
    ParallelStreamsOption streams;

    @Mixin
    StreamNiceOption streamNice;

    @Option(names = "--token", paramLabel = "VALUE",
            description = "The migration token the source printed. Visible to other local users in the process "
                    + "list: prefer --token-file.")
    String token;

    @Option(names = "--token-file", paramLabel = "FILE",
            description = "Read the migration token from the first line of FILE.")
    Path tokenFile;

    @Override
    public Integer call() throws IOException {
        vcpus.validate(spec.commandLine());
        json.checkWritable(spec.commandLine());
        recovery.validate(spec.commandLine());
        metrics.validate(spec.commandLine());
        org.postcopysim.dest.fault.FaultOptions faultOptions = faults.resolveForMigration(spec.commandLine());
        org.postcopysim.dest.MmuSetup mmu = host.resolve(spec.commandLine(), faultOptions, seed.value());
        org.postcopysim.dest.HostBackend hostBackend = backend.resolve(spec.commandLine(), faultOptions, mmu);
        int streamCount = streams.resolve(spec.commandLine());
        org.postcopysim.protocol.sched.StreamPriority streamPriority = streamNice.resolve(spec.commandLine());
        Reliability.TlsFiles tlsFiles = tls.resolve(spec.commandLine());
        org.postcopysim.protocol.chaos.ChaosSpec chaosSpec = chaos.resolve(spec.commandLine());
        String presented = token;
        if (tokenFile != null) {
            if (token != null) throw new ParameterException(spec.commandLine(), "give --token or --token-file, not both");
            Path file = tokenFile;
            String[] read = new String[1];
            OptionCheck.check(spec.commandLine(), "--token-file", () -> read[0] = MigrationToken.read(file));
            presented = read[0];
        }
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        long s = seed.value();
        Reliability reliability = tlsFiles == null ? Reliability.DEFAULT : Reliability.DEFAULT.withTls(tlsFiles);
        reliability = recovery.apply(ChaosOption.apply(reliability, chaosSpec, s));
        DestConfig config = vcpus.apply(DestConfig.builder(connect.host(), connect.port()), s).token(presented)
                .connectTimeout(Duration.ofSeconds(timeoutSeconds)).faults(faultOptions).reliability(reliability)
                .mmu(mmu).streams(streamCount).streamPriority(streamPriority).build();
        // Bound before anything else: an address in use fails at once, in one line.
        io.micrometer.core.instrument.MeterRegistry registry = metrics.open();
        try {
            metrics.publishQuantiles(DestMetrics.FAULT_LATENCY, DestMetrics.FAULT_LATENCY_QUANTILES,
                    "fault latency percentiles from a memory-fault exit to the page being present");
            out.printf("seed: %d%n", s);
            ChaosOption.print(out, config.reliability());
            metrics.print(out);
            out.flush();
            MigrationSummary summary;
            MigrationProgress progress = MigrationProgress.start(progressWhen, registry, out, err);
            try {
                summary = DestVm.run(config, registry, hostBackend);
            } finally {
                if (progress != null) progress.close(); // erased before the summary: nothing draws over it
            }
            SummaryPrinter.print(out, summary);
            if (json.file != null) SummaryPrinter.writeJson(json.file, summary);
            metrics.linger(out);
            return summary.exitCode();
        } finally {
            metrics.close();
        }
    }
}
