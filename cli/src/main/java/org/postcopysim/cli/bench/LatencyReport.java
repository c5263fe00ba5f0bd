package org.postcopysim.cli.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.util.Locale;
import org.postcopysim.cli.ByteSize;

/** What {@code bench latency} measured: the table on stdout and the JSON document. */
final class LatencyReport {
    /** How the parked client waits, in words for the table and the JSON. */
    static final String CLIENT_WAIT = "caller thread parks; the event loop unparks it when the reply is in "
            + "(as a vCPU waits for its page)";

    private final long seed;
    private final int iterations;
    private final int warmup;
    private final long guestBytes;
    private final RawSummary raw;
    private final SimulatedFaults.Result sim;
    private final long saturatedGuestBytes;
    /** The saturated case's --stream-nice. */
    private final int streamNice;
    /** The saturated case, or null when it was skipped. */
    private final SimulatedFaults.Result saturated;

    LatencyReport(long seed, int iterations, int warmup, long guestBytes, RawSummary raw,
                  SimulatedFaults.Result sim, long saturatedGuestBytes, int streamNice, SimulatedFaults.Result saturated) {
        this.saturatedGuestBytes = saturatedGuestBytes;
        this.streamNice = streamNice;
        this.saturated = saturated;
        this.seed = seed;
        this.iterations = iterations;
        this.warmup = warmup;
        this.guestBytes = guestBytes;
        this.raw = raw;
        this.sim = sim;
    }

    /** Fault latency p50 over the parked raw round trip p50. */
    double ratioP50() {
        return ratio(sim.faultLatency().p50(), raw.parked().p50());
    }

    /** How the stream's threads ran, in words: "at niceness +N", or "as every other thread" for 0. */
    static String niceness(int streamNice) {
        return streamNice == 0 ? "as every other thread" : "at niceness +" + streamNice;
    }

    /** The saturated case's fault latency p50 over the parked raw round trip p50; NaN without the case. */
    double saturatedRatioP50() {
        return saturated == null ? Double.NaN : ratio(saturated.faultLatency().p50(), raw.parked().p50());
    }

    static double ratio(long faultNs, long rawNs) {
        return rawNs <= 0 ? Double.NaN : (double) faultNs / rawNs;
    }

    void print(PrintWriter out) {
        Percentiles p = raw.parked();
        Percentiles e = raw.eventLoop();
        Percentiles f = sim.faultLatency();
        out.println();
        out.printf(Locale.ROOT, "%-36s %10s %10s %10s %9s%n", "", "p50", "p90", "p99", "samples");
        row(out, "raw 4 KiB round trip, caller parked", p);
        row(out, "raw 4 KiB round trip, event loop", e);
        row(out, "demand fault (simulator)", f);
        if (saturated != null) row(out, "demand fault, stream saturated", saturated.faultLatency());
        out.printf(Locale.ROOT, "%-36s %9.2fx %9.2fx %9.2fx%n", "fault / raw round trip (parked)",
                ratio(f.p50(), p.p50()), ratio(f.p90(), p.p90()), ratio(f.p99(), p.p99()));
        if (saturated != null) {
            Percentiles q = saturated.faultLatency();
            out.printf(Locale.ROOT, "%-36s %9.2fx %9.2fx %9.2fx%n", "saturated fault / raw (parked)",
                    ratio(q.p50(), p.p50()), ratio(q.p90(), p.p90()), ratio(q.p99(), p.p99()));
        }
        out.printf(Locale.ROOT, "%-36s %9.2fx %9.2fx %9.2fx%n", "fault / raw round trip (event loop)",
                ratio(f.p50(), e.p50()), ratio(f.p90(), e.p90()), ratio(f.p99(), e.p99()));
        out.println();
        out.printf(Locale.ROOT, "transport: %s (bench client), %s (ping-pong server), %s (destination)%n",
                raw.clientTransport(), raw.serverTransport(), sim.summary().path("transport").asText("?"));
        out.printf(Locale.ROOT, "raw client wait: %s; the event-loop row sends each request from the reply "
                + "handler, no thread hand-off%n", CLIENT_WAIT);
        if (raw.parkedAfter() != null) {
            out.printf(Locale.ROOT, "raw round trip (parked) p50 %s before the migration, %s after it%n",
                    us(raw.parkedBefore().p50()), us(raw.parkedAfter().p50()));
        }
        out.printf(Locale.ROOT, "simulator: %s guest, %d demand faults, %d redundant, %d background pages, "
                        + "migrated in %d ms, verified %s; seed %d%n",
                ByteSize.format(guestBytes), sim.summary().path("demandFaults").asLong(),
                sim.summary().path("redundantFaults").asLong(), sim.summary().path("backgroundPages").asLong(),
                sim.summary().path("migrationTimeMs").asLong(), sim.summary().path("verified").asBoolean(), seed);
        if (saturated != null) {
            JsonNode q = saturated.summary();
            out.printf(Locale.ROOT, "saturated: %s guest, %d vCPUs (%s), stream uncapped, its threads %s: %d demand faults, "
                            + "%d background pages, migrated in %d ms, verified %s%n", ByteSize.format(saturatedGuestBytes),
                    SimulatedFaults.SATURATED_VCPUS, SimulatedFaults.SATURATED_WORKLOAD, niceness(streamNice),
                    q.path("demandFaults").asLong(),
                    q.path("backgroundPages").asLong(), q.path("migrationTimeMs").asLong(),
                    q.path("verified").asBoolean());
        }
        out.flush();
    }

    private static void row(PrintWriter out, String label, Percentiles p) {
        out.printf(Locale.ROOT, "%-36s %10s %10s %10s %9d%n", label, us(p.p50()), us(p.p90()), us(p.p99()), p.count());
    }

    /** "78.1 us". */
    static String us(long ns) {
        return String.format(Locale.ROOT, "%.1f us", ns / 1e3);
    }

    ObjectNode toJson(ObjectMapper json, Double maxRatio, boolean withinLimit, Double maxSaturatedRatio,
                      boolean withinSaturated) {
        ObjectNode root = json.createObjectNode();
        root.put("benchmark", "latency");
        root.put("seed", seed);
        ObjectNode t = root.putObject("transport");
        t.put("benchClient", raw.clientTransport());
        t.put("pingPongServer", raw.serverTransport());
        t.put("destination", sim.summary().path("transport").asText());
        ObjectNode r = root.putObject("raw");
        r.put("requestBytes", PingPong.REQUEST_BYTES);
        r.put("replyBytes", PingPong.REPLY_BYTES);
        r.put("iterations", iterations);
        r.put("warmup", warmup);
        r.put("clientWait", CLIENT_WAIT);
        r.set("roundTripNs", percentiles(json, raw.parked()));
        r.set("eventLoopRoundTripNs", percentiles(json, raw.eventLoop()));
        r.set("roundTripBeforeMigrationNs", percentiles(json, raw.parkedBefore()));
        if (raw.parkedAfter() != null) r.set("roundTripAfterMigrationNs", percentiles(json, raw.parkedAfter()));
        ObjectNode s = root.putObject("simulator");
        s.put("guestBytes", guestBytes);
        s.put("vcpus", SimulatedFaults.VCPUS);
        s.put("workload", SimulatedFaults.WORKLOAD);
        s.put("maxBackgroundBytesPerSec", SimulatedFaults.BACKGROUND_BYTES_PER_SEC);
        s.put("demandFaults", sim.summary().path("demandFaults").asLong());
        s.put("redundantFaults", sim.summary().path("redundantFaults").asLong());
        s.put("backgroundPages", sim.summary().path("backgroundPages").asLong());
        s.put("migrationTimeMs", sim.summary().path("migrationTimeMs").asLong());
        s.put("verified", sim.summary().path("verified").asBoolean());
        s.set("faultLatencyNs", percentiles(json, sim.faultLatency()));
        ObjectNode ratio = root.putObject("ratio");
        Percentiles f = sim.faultLatency();
        ratio.put("p50", ratio(f.p50(), raw.parked().p50()));
        ratio.put("p90", ratio(f.p90(), raw.parked().p90()));
        ratio.put("p99", ratio(f.p99(), raw.parked().p99()));
        ObjectNode ratioEl = root.putObject("ratioToEventLoop");
        ratioEl.put("p50", ratio(f.p50(), raw.eventLoop().p50()));
        ratioEl.put("p90", ratio(f.p90(), raw.eventLoop().p90()));
        ratioEl.put("p99", ratio(f.p99(), raw.eventLoop().p99()));
        if (maxRatio != null) root.put("maxRatio", maxRatio);
        else root.putNull("maxRatio");
        root.put("withinMaxRatio", withinLimit);
        if (saturated == null) {
            root.putNull("saturated");
        } else {
            JsonNode q = saturated.summary();
            Percentiles l = saturated.faultLatency();
            ObjectNode n = root.putObject("saturated");
            n.put("guestBytes", saturatedGuestBytes);
            n.put("vcpus", SimulatedFaults.SATURATED_VCPUS);
            n.put("workload", SimulatedFaults.SATURATED_WORKLOAD);
            n.put("maxBackgroundBytesPerSec", 0);
            n.put("streamNice", streamNice);
            n.put("demandFaults", q.path("demandFaults").asLong());
            n.put("backgroundPages", q.path("backgroundPages").asLong());
            n.put("migrationTimeMs", q.path("migrationTimeMs").asLong());
            n.put("verified", q.path("verified").asBoolean());
            n.set("faultLatencyNs", percentiles(json, l));
            ObjectNode sr = n.putObject("ratio");
            sr.put("p50", ratio(l.p50(), raw.parked().p50()));
            sr.put("p90", ratio(l.p90(), raw.parked().p90()));
            sr.put("p99", ratio(l.p99(), raw.parked().p99()));
        }
        if (maxSaturatedRatio != null) root.put("maxSaturatedRatio", maxSaturatedRatio);
        else root.putNull("maxSaturatedRatio");
        root.put("withinMaxSaturatedRatio", withinSaturated);
        return root;
    }

    private static ObjectNode percentiles(ObjectMapper json, Percentiles p) {
        ObjectNode n = json.createObjectNode();
        n.put("count", p.count());
        n.put("p50", p.p50());
        n.put("p90", p.p90());
        n.put("p99", p.p99());
        n.put("p999", p.p999());
        n.put("max", p.max());
        n.put("mean", p.mean());
        return n;
    }
}
