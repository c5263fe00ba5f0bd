package org.postcopysim.cli.compare;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The result of one finished run: the child's JSON summary with {@code bench} and {@code repeat}
 * added (and, for a migration, the page rates derived from it), next to the run it came from.
 * Mode and vCPU count are taken from the plan, which is what the run asked the child for.
 */
record RunRecord(Bench bench, RunPlan.Run run, ObjectNode json) {

    /** The field names the percentiles have in {@code faultLatencyNs}, in CDF order. */
    static final String[] LATENCY_KEYS = {"p50", "p90", "p99", "p999", "max"};
    /** The fraction of faults at or below each of {@link #LATENCY_KEYS}. */
    static final double[] LATENCY_FRACTIONS = {0.50, 0.90, 0.99, 0.999, 1.0};

    /**
     * Builds the record of {@code run} from its child's summary. A migration summary has no page
     * rates: they are derived as pages (or exits) per second of {@code migrationTimeMs}, and left
     * out when that time is 0 (too short to measure).
     */
    static RunRecord fromChild(Bench bench, RunPlan.Run run, JsonNode child, long childWallMs) {
        ObjectNode json = child.isObject() ? ((ObjectNode) child).deepCopy() : JsonNodeFactory.instance.objectNode();
        if (!json.has("mode")) json.put("mode", run.mode());
        if (!json.has("vcpus")) json.put("vcpus", run.vcpus());
        if (bench == Bench.MIGRATION) addMigrationRates(json);
        json.put("bench", bench.label);
        json.put("repeat", run.repeat());
        json.put("childWallMs", childWallMs);
        return new RunRecord(bench, run, json);
    }

    private static void addMigrationRates(ObjectNode json) {
        long timeMs = json.path("migrationTimeMs").asLong(0);
        if (timeMs <= 0) return;
        double seconds = timeMs / 1000.0;
        if (json.path("pagesTotal").isNumber()) {
            json.put("pagesPerSecOverall", json.path("pagesTotal").asDouble() / seconds);
        }
        JsonNode exits = json.path("exitsPerVcpu");
        if (exits.isArray()) {
            ArrayNode perVcpu = json.putArray("pagesPerSecPerVcpu");
            for (JsonNode e : exits) perVcpu.add(e.asDouble() / seconds);
        }
    }

    String mode() {
        return run.mode();
    }

    int vcpus() {
        return run.vcpus();
    }

    /** Overall pages per second, or NaN when the child reported none. */
    double pagesPerSecOverall() {
        JsonNode n = json.path("pagesPerSecOverall");
        return n.isNumber() ? n.asDouble() : Double.NaN;
    }

    /** Network-bound faults over the pages the guest touched (a migration's), or NaN when absent (or null). */
    double networkBoundFraction() {
        JsonNode n = json.path("networkBoundFraction");
        return n.isNumber() ? n.asDouble() : Double.NaN;
    }

    /**
     * Demand faults: the page requests the destination sent (one per fault that fetched its page
     * on demand, whether a vCPU's exit or a uffd reader sent it; faults that joined a request in
     * flight are not counted again), or NaN when absent.
     */
    double demandFaults() {
        JsonNode n = json.path("pageRequests");
        return n.isNumber() ? n.asDouble() : Double.NaN;
    }

    /**
     * Time every vCPU was blocked at once (QEMU's blocktime, ns): a migration summary's
     * {@code blocktime.allVcpusNs}, or a simulated record's {@code blocktimeAllMs}; NaN when absent.
     */
    double blocktimeAllNs() {
        JsonNode n = json.path("blocktime").path("allVcpusNs");
        if (n.isNumber()) return n.asDouble();
        JsonNode ms = json.path("blocktimeAllMs");
        return ms.isNumber() ? ms.asDouble() * 1e6 : Double.NaN;
    }

    /** A fault latency percentile in ns ({@code "p50"} ... {@code "max"}), or -1 when absent. */
    long latencyNs(String key) {
        JsonNode n = json.path("faultLatencyNs").path(key);
        return n.isNumber() ? n.asLong() : -1;
    }
}
