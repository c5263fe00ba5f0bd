package org.postcopysim.cli.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.postcopysim.cli.ByteSize;
import org.postcopysim.memory.GuestLayout;

/**
 * What {@code bench throughput} measured: per round the limit's rate and the background stream's
 * rate, and over the rounds the medians and the ratio, for the table on stdout and the JSON.
 */
final class ThroughputReport {
    /** One migration's background stream: its rate, and the summary fields the report shows. */
    record Stream(double bytesPerSec, long migrationTimeMs, long pagesTotal, long backgroundPages,
                  long demandPages, long crcFailures, String transport) {

        /** From the destination's summary: every page installed over {@code migrationTimeMs}. */
        static Stream of(JsonNode summary) {
            long pages = summary.path("pagesTotal").asLong();
            long ms = summary.path("migrationTimeMs").asLong();
            return new Stream(rate(pages * GuestLayout.PAGE_SIZE_BYTES, ms), ms, pages,
                    summary.path("backgroundPages").asLong(), summary.path("demandPages").asLong(),
                    summary.path("crcFailures").asLong(), summary.path("transport").asText("?"));
        }
    }

    /** One round: the limit, then the stream, and the 1-minute load average before each. */
    record Round(double limitBytesPerSec, Stream stream, double loadBeforeLimit, double loadBeforeStream) {
        double ratio() {
            return ThroughputReport.ratio(stream.bytesPerSec(), limitBytesPerSec);
        }
    }

    private final long seed;
    private final long guestBytes;
    private final String tool;
    private final int limitSeconds;
    private final List<Round> rounds;
    private final double loadAfter;

    ThroughputReport(long seed, long guestBytes, String tool, int limitSeconds, List<Round> rounds, double loadAfter) {
        if (rounds.isEmpty()) throw new IllegalArgumentException("a report needs at least one round");
        this.seed = seed;
        this.guestBytes = guestBytes;
        this.tool = tool;
        this.limitSeconds = limitSeconds;
        this.rounds = List.copyOf(rounds);
        this.loadAfter = loadAfter;
    }

    /** Bytes over milliseconds, in bytes per second; NaN for no time. */
    static double rate(long bytes, long ms) {
        return ms <= 0 ? Double.NaN : bytes * 1000.0 / ms;
    }

    /** {@code stream / limit}; NaN when the limit is not positive. */
    static double ratio(double stream, double limit) {
        return limit > 0 ? stream / limit : Double.NaN;
    }

    /** The median (the mean of the two middle values for an even count). */
    static double median(double[] values) {
        if (values.length == 0) throw new IllegalArgumentException("no values");
        double[] v = values.clone();
        Arrays.sort(v);
        int m = v.length / 2;
        return v.length % 2 == 1 ? v[m] : (v[m - 1] + v[m]) / 2;
    }

    double medianLimit() {
        return median(rounds.stream().mapToDouble(Round::limitBytesPerSec).toArray());
    }

    double medianStream() {
        return median(rounds.stream().mapToDouble(r -> r.stream().bytesPerSec()).toArray());
    }

    /** The median of the rounds' ratios: each round's two measurements are taken seconds apart. */
    double ratio() {
        return median(rounds.stream().mapToDouble(Round::ratio).toArray());
    }

    /** "3.41 GB/s" (decimal, as iperf3 reports). */
    static String gbps(double bytesPerSec) {
        return String.format(Locale.ROOT, "%.2f GB/s", bytesPerSec / 1e9);
    }

    void print(PrintWriter out) {
        out.println();
        out.printf(Locale.ROOT, "%-6s %14s %16s %7s %10s %10s%n", "round", tool + " 1 stream", "background stream",
                "ratio", "load (lim)", "load (str)");
        for (int i = 0; i < rounds.size(); i++) {
            Round r = rounds.get(i);
            out.printf(Locale.ROOT, "%-6d %14s %16s %6.2fx %10.2f %10.2f%n", i + 1, gbps(r.limitBytesPerSec()),
                    gbps(r.stream().bytesPerSec()), r.ratio(), r.loadBeforeLimit(), r.loadBeforeStream());
        }
        out.printf(Locale.ROOT, "%-6s %14s %16s %6.2fx%n", "median", gbps(medianLimit()), gbps(medianStream()), ratio());
        out.println();
        out.printf(Locale.ROOT, "limit: %s, one TCP stream on 127.0.0.1 for %d s; stream: a %s guest, every page "
                + "installed (CRC32C-checked, then made present) over the destination's migrationTimeMs; transport %s; "
                + "seed %d; load average after: %.2f%n", tool, limitSeconds, ByteSize.format(guestBytes),
                rounds.get(0).stream().transport(), seed, loadAfter);
        out.flush();
    }

    ObjectNode toJson(ObjectMapper json, Double minRatio, boolean withinLimit) {
        ObjectNode root = json.createObjectNode();
        root.put("benchmark", "throughput");
        root.put("seed", seed);
        root.put("guestBytes", guestBytes);
        root.put("rounds", rounds.size());
        ObjectNode limit = root.putObject("limit");
        limit.put("tool", tool);
        limit.put("seconds", limitSeconds);
        ArrayNode lr = limit.putArray("bytesPerSec");
        rounds.forEach(r -> lr.add(r.limitBytesPerSec()));
        limit.put("medianBytesPerSec", medianLimit());
        ObjectNode sim = root.putObject("stream");
        sim.put("vcpus", StreamRun.VCPUS);
        sim.put("workload", StreamRun.WORKLOAD);
        sim.put("accessesPerSec", StreamRun.ACCESSES_PER_SEC);
        sim.put("maxBackgroundBytesPerSec", 0);
        sim.put("transport", rounds.get(0).stream().transport());
        ArrayNode runs = sim.putArray("runs");
        for (Round r : rounds) {
            Stream s = r.stream();
            ObjectNode n = runs.addObject();
            n.put("bytesPerSec", s.bytesPerSec());
            n.put("migrationTimeMs", s.migrationTimeMs());
            n.put("pagesTotal", s.pagesTotal());
            n.put("backgroundPages", s.backgroundPages());
            n.put("demandPages", s.demandPages());
            n.put("crcFailures", s.crcFailures());
        }
        sim.put("medianBytesPerSec", medianStream());
        ArrayNode ratios = root.putArray("ratios");
        rounds.forEach(r -> ratios.add(r.ratio()));
        root.put("ratio", ratio());
        ArrayNode load = root.putArray("loadAverage1m");
        List<Double> loads = new ArrayList<>();
        for (Round r : rounds) {
            loads.add(r.loadBeforeLimit());
            loads.add(r.loadBeforeStream());
        }
        loads.add(loadAfter);
        loads.forEach(load::add);
        if (minRatio != null) root.put("minRatio", minRatio);
        else root.putNull("minRatio");
        root.put("withinMinRatio", withinLimit);
        return root;
    }
}
