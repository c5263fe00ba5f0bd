package org.postcopysim.cli.bench;

import java.io.IOException;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.postcopysim.cli.ByteSize;
import org.postcopysim.cli.SeedOption;
import org.postcopysim.cli.VersionProvider;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code postcopy-sim bench throughput}: the background stream's rate against one TCP stream's
 * bulk rate on loopback, both measured in the same run, round after round, with their ratio.
 */
@Command(name = "throughput", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        description = {"The background stream's rate against one TCP stream on loopback, measured in the same run.",
                "Each round measures, one after the other:",
                "1. the limit: iperf3 with one stream on 127.0.0.1 (when iperf3 is on PATH), else a raw Netty bulk "
                        + "transfer of 4 KiB pages between two event loops of this JVM;",
                "2. the stream: a two-process migration (as `demo` runs it) with 1 vCPU walking the guest "
                        + "sequentially at 1000 accesses a second and the background stream uncapped; its rate is "
                        + "every page (each CRC32C-checked before it is made present) over the destination's "
                        + "migrationTimeMs.",
                "Prints each round, the medians and the median ratio; the children's output goes to stderr. Exits 0 "
                        + "(a measurement), or 1 when a step fails or the ratio is below --min-ratio."})
public final class ThroughputBenchCommand implements Callable<Integer> {
    /** Which limit to measure. */
    enum Limit { auto, iperf3, netty }

    @Spec
    CommandSpec spec;

    @Option(names = "--guest-mem", paramLabel = "SIZE", converter = ByteSize.class, defaultValue = "2G",
            description = "Guest memory of each migration. Default: ${DEFAULT-VALUE}.")
    long guestBytes;

    @Option(names = "--rounds", paramLabel = "N", defaultValue = "3",
            description = "Rounds, each a limit measurement then a migration; the report gives medians. "
                    + "Default: ${DEFAULT-VALUE}.")
    int rounds;

    @Option(names = "--limit", paramLabel = "TOOL", defaultValue = "auto",
            description = "The limit: iperf3, netty (the raw Netty bulk transfer), or auto (iperf3 when it is on "
                    + "PATH, else netty). Default: ${DEFAULT-VALUE}.")
    Limit limit;

    @Option(names = "--limit-seconds", paramLabel = "S", defaultValue = "5",
            description = "Duration of each limit measurement (seconds). Default: ${DEFAULT-VALUE}.")
    int limitSeconds;

    @Option(names = "--min-ratio", paramLabel = "R",
            description = "Exit 1 when the median ratio of stream over limit is below R. Default: no limit.")
    Double minRatio;

    @Option(names = "--json", paramLabel = "FILE", description = "Write the results as JSON to FILE.")
    Path jsonFile;

    @Mixin
    SeedOption seed;

    @Override
    public Integer call() throws IOException, InterruptedException {
        validate();
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter echo = spec.commandLine().getErr();
        WireLimit wire = resolveLimit(out);
        long s = seed.value();
        out.printf(Locale.ROOT, "bench throughput: seed %d; %d rounds of %s for %d s, then a %s migration with an "
                        + "uncapped background stream; load average %.2f%n", s, rounds, wire.tool(), limitSeconds,
                ByteSize.format(guestBytes), load());
        out.flush();
        List<ThroughputReport.Round> done = new ArrayList<>();
        try {
            for (int i = 1; i <= rounds; i++) {
                double loadLimit = load();
                double limitRate = wire.measureBytesPerSec(limitSeconds);
                out.printf(Locale.ROOT, "bench throughput: round %d: %s %s; migrating...%n", i, wire.tool(),
                        ThroughputReport.gbps(limitRate));
                out.flush();
                double loadStream = load();
                ThroughputReport.Stream stream = StreamRun.measure(guestBytes, s + i - 1, echo, BenchFiles.JSON);
                out.printf(Locale.ROOT, "bench throughput: round %d: background stream %s (%d ms)%n", i,
                        ThroughputReport.gbps(stream.bytesPerSec()), stream.migrationTimeMs());
                out.flush();
                done.add(new ThroughputReport.Round(limitRate, stream, loadLimit, loadStream));
            }
        } catch (IOException e) {
            out.println("bench throughput: FAILED: " + e.getMessage());
            out.flush();
            return 1;
        }
        ThroughputReport report = new ThroughputReport(s, guestBytes, wire.tool(), limitSeconds, done, load());
        report.print(out);
        boolean within = minRatio == null || report.ratio() >= minRatio;
        if (jsonFile != null) BenchFiles.writeJson(jsonFile, report.toJson(BenchFiles.JSON, minRatio, within));
        if (!within) {
            out.printf(Locale.ROOT, "bench throughput: ratio %.2f is below --min-ratio %s%n", report.ratio(), minRatio);
            out.flush();
            return 1;
        }
        return 0;
    }

    private WireLimit resolveLimit(PrintWriter out) {
        if (limit == Limit.netty) return new NettyBulkLimit();
        Iperf3Limit iperf = Iperf3Limit.find(BenchFiles.JSON);
        if (iperf != null) return iperf;
        if (limit == Limit.iperf3) {
            throw new ParameterException(spec.commandLine(), "--limit iperf3: no iperf3 on PATH (install it, for "
                    + "example `apt-get install iperf3`, or use --limit netty)");
        }
        out.println("bench throughput: no iperf3 on PATH; the limit is a raw Netty bulk transfer instead "
                + "(install iperf3 to measure against it)");
        return new NettyBulkLimit();
    }

    /** The 1-minute load average, or -1 where the platform has none. */
    static double load() {
        return ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
    }

    private void validate() {
        org.postcopysim.cli.JsonOption.checkWritable(spec.commandLine(), "--json", jsonFile);
        if (rounds < 1) throw usage("--rounds must be at least 1, got " + rounds);
        if (limitSeconds < 1) throw usage("--limit-seconds must be at least 1, got " + limitSeconds);
        if (minRatio != null && !(minRatio > 0)) throw usage("--min-ratio must be positive, got " + minRatio);
        BenchFiles.checkGuestBytes(spec.commandLine(), "--guest-mem", guestBytes);
    }

    private ParameterException usage(String message) {
        return new ParameterException(spec.commandLine(), message);
    }
}
