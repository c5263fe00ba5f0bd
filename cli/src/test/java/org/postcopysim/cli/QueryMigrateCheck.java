package org.postcopysim.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;

/**
 * What the {@code queryMigrate} object of a dest (or demo) summary must say, each field
 * recomputed from the summary's own fields in QEMU's unit: the independent computation the
 * QEMU fields are tested against. Truncation to whole milliseconds is the only slack allowed.
 */
final class QueryMigrateCheck {
    static final int QEMU_BUCKETS = 24;
    static final long PAGE_BYTES = 4096;
    /** HdrHistogram's precision in the latency timer (2 significant digits): bounds may be off by this fraction. */
    static final double HDR_PRECISION = 0.01;

    private QueryMigrateCheck() {}

    /** Every way {@code summary.queryMigrate} disagrees with the rest of {@code summary}; empty when it agrees. */
    static List<String> violations(JsonNode summary) {
        List<String> out = new ArrayList<>();
        JsonNode q = summary.path("queryMigrate");
        JsonNode ram = q.path("ram");
        boolean verified = summary.path("verified").asBoolean();
        same(out, "status", verified ? "completed" : "failed", q.path("status").asText());
        if (verified) {
            if (q.has("error-desc")) out.add("error-desc on a completed migration: " + q.get("error-desc"));
        } else {
            same(out, "error-desc", summary.path("error").asText(), q.path("error-desc").asText());
        }

        // Times (ms). The summary's setupMs and migrationTimeMs split total-time at the resume, each truncated.
        long total = q.path("total-time").asLong();
        long setup = q.path("setup-time").asLong();
        long setupMs = summary.path("setupMs").asLong();
        long parts = setupMs + summary.path("migrationTimeMs").asLong();
        between(out, "total-time (ms) against setupMs + migrationTimeMs", total, parts, parts + 1);
        between(out, "setup-time (ms) within total-time", setup, 0, total);
        int rounds = summary.path("precopyRounds").asInt();
        JsonNode roundStats = summary.path("precopyRoundStats");
        long roundsMs = 0;
        long roundsPages = 0;
        for (JsonNode r : roundStats) {
            roundsMs += r.path("durationMs").asLong();
            roundsPages += r.path("pagesSent").asLong();
        }
        if (summary.path("pagesTotal").asLong() > 0 && q.has("downtime")) {
            long downtime = q.path("downtime").asLong();
            same(out, "downtime (ms) against downtimeMs", summary.path("downtimeMs").asLong(), downtime);
            if (rounds == 0) {
                // setup-time and downtime split setupMs at the guest's stop, each truncated.
                between(out, "setup-time + downtime (ms) against setupMs", setup + downtime, setupMs - 1, setupMs);
            } else {
                // Setup ends where round 1 begins; the rounds (the source's times) and the downtime follow it
                // up to the resume: the three split setupMs, each truncated (every round on its own).
                between(out, "setup-time + the precopy rounds + downtime (ms) against setupMs",
                        setup + roundsMs + downtime, setupMs - rounds - 2, setupMs);
            }
        }

        // RAM counters: bytes and pages.
        JsonNode phases = summary.path("bytesPerPhase");
        long precopy = phases.path("precopyBytes").asLong();
        long downtimeBytes = phases.path("downtimeBytes").asLong();
        long postcopy = phases.path("postcopyBytes").asLong();
        same(out, "ram.transferred (bytes)", precopy + downtimeBytes + postcopy, ram.path("transferred").asLong());
        same(out, "ram.precopy-bytes", precopy, ram.path("precopy-bytes").asLong());
        same(out, "ram.downtime-bytes", downtimeBytes, ram.path("downtime-bytes").asLong());
        same(out, "ram.postcopy-bytes", postcopy, ram.path("postcopy-bytes").asLong());
        same(out, "ram.total (bytes)", summary.path("guestBytes").asLong(), ram.path("total").asLong());
        same(out, "ram.remaining (bytes)", summary.path("pagesMissing").asLong() * PAGE_BYTES, ram.path("remaining").asLong());
        same(out, "ram.page-size (bytes)", PAGE_BYTES, ram.path("page-size").asLong());
        long normal = summary.path("backgroundPages").asLong() + summary.path("demandPages").asLong()
                + summary.path("duplicatePages").asLong() + summary.path("crcFailures").asLong();
        same(out, "ram.normal (pages)", normal, ram.path("normal").asLong());
        same(out, "ram.normal-bytes", summary.path("bytesTransferred").asLong(), ram.path("normal-bytes").asLong());
        same(out, "ram.normal-bytes against normal pages", ram.path("normal").asLong() * PAGE_BYTES, ram.path("normal-bytes").asLong());
        same(out, "ram.duplicate (no zero pages are sent)", 0, ram.path("duplicate").asLong());
        same(out, "ram.multifd-bytes (one background stream)", 0, ram.path("multifd-bytes").asLong());
        same(out, "ram.dirty-sync-count (one per precopy round)", rounds, ram.path("dirty-sync-count").asLong());
        same(out, "precopyRoundStats entries", rounds, roundStats.size());
        if (summary.path("chaos").isNull() || summary.path("chaos").isMissingNode()) {
            // Every precopy copy arrives on BACKGROUND ahead of the Discard; none is lost without fault injection.
            same(out, "ram.precopy-bytes against the pages the precopy rounds sent", roundsPages * PAGE_BYTES, precopy);
        }
        same(out, "ram.postcopy-requests", summary.path("pageRequests").asLong(), ram.path("postcopy-requests").asLong());
        // Rates over the transfer time, which is known to the millisecond: bound them by T-1 and T+1 ms.
        long transferMs = total - setup;
        if (transferMs >= 2) {
            double bits = ram.path("transferred").asLong() * 8.0;
            betweenRate(out, "ram.mbps (megabits per second)", ram.path("mbps").asDouble(),
                    bits / 1e6 / ((transferMs + 1) / 1e3), bits / 1e6 / ((transferMs - 1) / 1e3));
            double pages = ram.path("normal").asLong() + ram.path("duplicate").asLong();
            betweenRate(out, "ram.pages-per-second", ram.path("pages-per-second").asDouble(),
                    pages / ((transferMs + 1) / 1e3) - 1, pages / ((transferMs - 1) / 1e3));
        }

        // Blocktime (ms, truncated from the summary's ns).
        JsonNode blocktime = summary.path("blocktime");
        same(out, "postcopy-blocktime (ms)", blocktime.path("allVcpusNs").asLong() / 1_000_000, q.path("postcopy-blocktime").asLong());
        JsonNode perVcpu = blocktime.path("perVcpuNs");
        JsonNode vcpuBlocktime = q.path("postcopy-vcpu-blocktime");
        same(out, "postcopy-vcpu-blocktime entries", perVcpu.size(), vcpuBlocktime.size());
        for (int v = 0; v < Math.min(perVcpu.size(), vcpuBlocktime.size()); v++) {
            same(out, "postcopy-vcpu-blocktime[" + v + "] (ms)", perVcpu.get(v).asLong() / 1_000_000, vcpuBlocktime.get(v).asLong());
        }

        // Latency (ns) and its distribution (counts in log2 microsecond buckets).
        JsonNode latency = summary.path("faultLatencyNs");
        long count = latency.path("count").asLong();
        between(out, "postcopy-latency (ns) against faultLatencyNs.mean", q.path("postcopy-latency").asLong(),
                latency.path("mean").asLong() - 1, latency.path("mean").asLong() + 1);
        JsonNode vcpuLatency = q.path("postcopy-vcpu-latency");
        same(out, "postcopy-vcpu-latency entries", summary.path("vcpus").asLong(), vcpuLatency.size());
        long lowest = Long.MAX_VALUE;
        long highest = 0;
        for (JsonNode l : vcpuLatency) {
            if (l.asLong() == 0) continue;
            lowest = Math.min(lowest, l.asLong());
            highest = Math.max(highest, l.asLong());
        }
        if (count > 0) {
            // The mean over all vCPUs lies between the vCPUs' means, and every mean between the fastest and slowest fault.
            between(out, "postcopy-latency between the vCPUs' means", q.path("postcopy-latency").asLong(), lowest, highest);
            between(out, "the slowest vCPU's mean latency", highest,
                    (long) (latency.path("min").asLong() * (1 - HDR_PRECISION)), latency.path("max").asLong());
        }
        same(out, "postcopy-non-vcpu-latency (only vCPUs wait for pages)", 0, q.path("postcopy-non-vcpu-latency").asLong());
        JsonNode dist = q.path("postcopy-latency-dist");
        same(out, "postcopy-latency-dist buckets", QEMU_BUCKETS, dist.size());
        long inBuckets = 0;
        int first = -1;
        int last = -1;
        for (int n = 0; n < dist.size(); n++) {
            inBuckets += dist.get(n).asLong();
            if (dist.get(n).asLong() > 0) {
                if (first < 0) first = n;
                last = n;
            }
        }
        same(out, "postcopy-latency-dist total against faultLatencyNs.count", count, inBuckets);
        if (first >= 0) {
            // Bucket N holds [2^N, 2^(N+1)) us: the fastest fault is no faster than its bucket's floor, the slowest
            // no slower than its bucket's ceiling (bucket 0 has no floor, bucket 23 no ceiling).
            if (first > 0 && latency.path("min").asLong() < (1000L << first) * (1 - HDR_PRECISION)) {
                out.add("the fastest fault (" + latency.path("min").asLong() + " ns) lies below its bucket " + first
                        + " [" + (1L << first) + ", " + (2L << first) + ") us");
            }
            if (last < QEMU_BUCKETS - 1 && latency.path("max").asLong() >= (2000L << last) * (1 + HDR_PRECISION)) {
                out.add("the slowest fault (" + latency.path("max").asLong() + " ns) lies above its bucket " + last
                        + " [" + (1L << last) + ", " + (2L << last) + ") us");
            }
            // The median's bucket (where the counts reach half) holds p50: a second witness besides the fastest
            // fault, so that a distribution shifted by a bucket is caught even when min lies at a bucket's edge.
            long half = (inBuckets + 1) / 2;
            long seen = 0;
            int median = 0;
            while (median < dist.size() - 1 && (seen += dist.get(median).asLong()) < half) median++;
            long p50 = latency.path("p50").asLong();
            boolean below = median > 0 && p50 < (1000L << median) * (1 - HDR_PRECISION);
            boolean above = median < QEMU_BUCKETS - 1 && p50 >= (2000L << median) * (1 + HDR_PRECISION);
            if (below || above) {
                out.add("the median fault (p50 " + p50 + " ns) lies outside the bucket where the counts reach half, " + median
                        + " [" + (1L << median) + ", " + (2L << median) + ") us");
            }
        }
        return out;
    }

    private static void same(List<String> out, String what, Object expected, Object actual) {
        if (!expected.equals(actual)) out.add(what + ": expected " + expected + ", got " + actual);
    }

    private static void same(List<String> out, String what, long expected, long actual) {
        if (expected != actual) out.add(what + ": expected " + expected + ", got " + actual);
    }

    private static void between(List<String> out, String what, long actual, long low, long high) {
        if (actual < low || actual > high) out.add(what + ": " + actual + " not within [" + low + ", " + high + "]");
    }

    private static void betweenRate(List<String> out, String what, double actual, double low, double high) {
        if (actual < low || actual > high) out.add(what + ": " + actual + " not within [" + low + ", " + high + "]");
    }
}
