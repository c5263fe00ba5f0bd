package org.postcopysim.cli.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.postcopysim.cli.ByteSize;
import org.postcopysim.cli.SeedOption;
import org.postcopysim.cli.VersionProvider;
import org.postcopysim.protocol.sched.StreamPriority;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code postcopy-sim bench latency}: how much a demand fault costs over the loopback round trip
 * it cannot beat. In one run it measures the limit (a raw Netty ping-pong, 24-byte request and
 * 4 KiB reply, with a child JVM) and the simulator (a two-process migration on an idle link),
 * then prints fault latency over raw round trip at p50, p90 and p99.
 */
@Command(name = "latency", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        description = {"Demand fault latency against a raw 4 KiB loopback round trip measured in the same run.",
                "Measures, in one run:",
                "1. a raw Netty ping-pong with a child JVM on loopback (24-byte request, 4 KiB reply, TCP_NODELAY, "
                        + "one at a time; the calling thread parks and the event loop wakes it, as a vCPU waits);",
                "2. a two-process migration (as `demo` runs it) with 1 vCPU walking the guest sequentially and the "
                        + "background stream capped at 1 MiB/s, so nearly every page touched is a demand fault.",
                "3. the saturated case (unless --saturated-guest-mem is 0): a two-process migration with the background "
                        + "stream uncapped while 2 vCPUs fault (demo's default workload, uniform), so that every demand "
                        + "fault shares the link and the cores with the stream at full speed.",
                "Half the round trips are measured before the migrations and half after them, on the same connection.",
                "Prints each measurement and the faults' ratios to the raw round trip at p50, p90 and p99; the "
                        + "children's output goes to stderr. Exits 0 (a measurement), or 1 when a step fails, the p50 "
                        + "ratio exceeds --max-ratio or the saturated case's exceeds --max-saturated-ratio."})
public final class LatencyBenchCommand implements Callable<Integer> {
    static final ObjectMapper JSON = BenchFiles.JSON;

    @Spec
    CommandSpec spec;

    @Option(names = "--iterations", paramLabel = "N", defaultValue = "20000",
            description = "Recorded round trips of the raw ping-pong for each way of waiting, half before the "
                    + "migration and half after it. Default: ${DEFAULT-VALUE}.")
    int iterations;

    @Option(names = "--warmup", paramLabel = "N", defaultValue = "20000",
            description = "Unrecorded round trips before each recorded half (about a second: the first second of "
                    + "a fresh connection runs faster than the steady state). Default: ${DEFAULT-VALUE}.")
    int warmup;

    @Option(names = "--guest-mem", paramLabel = "SIZE", converter = ByteSize.class, defaultValue = "256M",
            description = "Guest memory of the simulated migration; each 4 KiB page is about one fault, and the "
                    + "first few thousand run while the source and destination JVMs are still compiling their hot "
                    + "paths, so a small guest inflates p90 and p99. Default: ${DEFAULT-VALUE}.")
    long guestBytes;

    @Option(names = "--saturated-guest-mem", paramLabel = "SIZE", converter = ByteSize.class, defaultValue = "1G",
            description = "Guest memory of the saturated case (the stream uncapped, 2 vCPUs faulting); 0 skips it. "
                    + "Default: ${DEFAULT-VALUE}.")
    long saturatedGuestBytes;

    @Option(names = "--stream-nice", paramLabel = "N", defaultValue = "" + StreamPriority.DEFAULT_NICE,
            description = "The saturated case's --stream-nice on both sides (0..19; 0 runs the stream's threads as "
                    + "every other thread). Default: ${DEFAULT-VALUE}.")
    int streamNice;

    @Option(names = "--max-saturated-ratio", paramLabel = "R",
            description = "Exit 1 when the saturated case's fault latency p50 over raw round trip p50 exceeds R. "
                    + "Default: no limit.")
    Double maxSaturatedRatio;

    @Option(names = "--max-ratio", paramLabel = "R",
            description = "Exit 1 when fault latency p50 over raw round trip p50 exceeds R. Default: no limit.")
    Double maxRatio;

    @Option(names = "--json", paramLabel = "FILE", description = "Write the results as JSON to FILE.")
    Path jsonFile;

    @Mixin
    SeedOption seed;

    @Override
    public Integer call() throws IOException, InterruptedException {
        validate();
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter echo = spec.commandLine().getErr();
        long s = seed.value();
        out.printf(Locale.ROOT, "bench latency: seed %d; %d raw round trips each way of waiting (half before, half "
                + "after the migration, %d warm-up each), and a %s guest migrated by %d vCPU faulting on nearly every "
                + "page%n", s, iterations, warmup, ByteSize.format(guestBytes), SimulatedFaults.VCPUS);
        out.flush();

        RawRoundTrip.Sample before;
        RawRoundTrip.Sample after = null;
        SimulatedFaults.Result sim;
        SimulatedFaults.Result saturated = null;
        String clientTransport;
        String serverTransport;
        int recordedBefore = (iterations + 1) / 2;
        int recordedAfter = iterations / 2;
        try (RawRoundTrip raw = RawRoundTrip.open(echo)) {
            clientTransport = raw.clientTransport();
            serverTransport = raw.serverTransport();
            before = raw.measure(warmup, recordedBefore);
            out.printf(Locale.ROOT, "bench latency: raw round trip p50 %s; migrating...%n",
                    LatencyReport.us(before.parked().getValueAtPercentile(50)));
            out.flush();
            sim = SimulatedFaults.measure(guestBytes, s, echo, JSON);
            if (saturatedGuestBytes > 0) {
                out.printf(Locale.ROOT, "bench latency: the saturated case: a %s guest, the stream uncapped (its "
                        + "threads %s), %d vCPUs faulting...%n", ByteSize.format(saturatedGuestBytes),
                        LatencyReport.niceness(streamNice), SimulatedFaults.SATURATED_VCPUS);
                out.flush();
                saturated = SimulatedFaults.measureSaturated(saturatedGuestBytes, streamNice, s, echo, JSON);
            }
            if (recordedAfter > 0) after = raw.measure(warmup, recordedAfter);
        } catch (IOException e) {
            out.println("bench latency: FAILED: " + e.getMessage());
            out.flush();
            return 1;
        }
        RawSummary rawSummary = RawSummary.of(clientTransport, serverTransport, before, after);

        LatencyReport report = new LatencyReport(s, iterations, warmup, guestBytes, rawSummary, sim,
                saturatedGuestBytes, streamNice, saturated);
        report.print(out);
        boolean withinLimit = maxRatio == null || report.ratioP50() <= maxRatio;
        boolean withinSaturated = maxSaturatedRatio == null || saturated == null
                || report.saturatedRatioP50() <= maxSaturatedRatio;
        if (jsonFile != null) BenchFiles.writeJson(jsonFile, report.toJson(JSON, maxRatio, withinLimit, maxSaturatedRatio, withinSaturated));
        int code = 0;
        if (!withinLimit) {
            out.printf(Locale.ROOT, "bench latency: p50 ratio %.2f exceeds --max-ratio %s%n", report.ratioP50(),
                    maxRatio);
            code = 1;
        }
        if (!withinSaturated) {
            out.printf(Locale.ROOT, "bench latency: saturated p50 ratio %.2f exceeds --max-saturated-ratio %s%n",
                    report.saturatedRatioP50(), maxSaturatedRatio);
            code = 1;
        }
        out.flush();
        return code;
    }

    private void validate() {
        org.postcopysim.cli.JsonOption.checkWritable(spec.commandLine(), "--json", jsonFile);
        if (iterations < 1) throw usage("--iterations must be at least 1, got " + iterations);
        if (warmup < 0) throw usage("--warmup must not be negative, got " + warmup);
        if (maxRatio != null && !(maxRatio > 0)) throw usage("--max-ratio must be positive, got " + maxRatio);
        if (maxSaturatedRatio != null && !(maxSaturatedRatio > 0)) {
            throw usage("--max-saturated-ratio must be positive, got " + maxSaturatedRatio);
        }
        try {
            StreamPriority.check(streamNice);
        } catch (IllegalArgumentException e) {
            throw usage("Invalid value for option '--stream-nice': " + e.getMessage());
        }
        if (saturatedGuestBytes != 0) BenchFiles.checkGuestBytes(spec.commandLine(), "--saturated-guest-mem", saturatedGuestBytes);
        BenchFiles.checkGuestBytes(spec.commandLine(), "--guest-mem", guestBytes);
    }

    private ParameterException usage(String message) {
        return new ParameterException(spec.commandLine(), message);
    }
}
