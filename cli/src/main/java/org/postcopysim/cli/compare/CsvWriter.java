package org.postcopysim.cli.compare;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedWriter;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code results.csv}: a header, then one row per finished run. Latencies in nanoseconds, rates in
 * pages per second; an empty cell where the child reported nothing. The first twelve columns are
 * the contract; the ones after them may grow.
 */
final class CsvWriter {
    static final List<String> HEADER = List.of("bench", "mode", "vcpus", "readers", "uffdScope", "repeat",
            "pagesPerSecOverall", "p50Ns", "p90Ns", "p99Ns", "p999Ns", "maxNs",
            "seed", "faults", "pagesPerSecPerVcpuMin", "pagesPerSecPerVcpuMax", "childWallMs", "backend");
    /**
     * The MMU counters' columns, after {@link #HEADER}, when some record carries them (every
     * {@code simulate} record does; empty cells in a record without them).
     */
    static final List<String> MMU_COLUMNS = List.of("hostEvents", "invalidations", "stage2Zapped", "localRefaults",
            "pfnCacheInvalidations", "pfnCacheRefreshes", "retriedFaults", "lazyUpgrades", "refetchedArrivedPages");

    /**
     * The background order's columns, after those, when some record carries them (a migration's:
     * {@code demo} and {@code simulate --bench migration}): the order, the pages the guest
     * touched, network-bound faults, their fraction, demand faults (the page requests sent),
     * blocktime (every vCPU blocked at once, ns) and the vCPUs' blocked times summed (ns).
     */
    static final List<String> ORDER_COLUMNS = List.of("backgroundOrder", "pagesTouched", "networkBoundFaults",
            "networkBoundFraction", "pageRequests", "blocktimeAllVcpusNs", "blockedNsTotal");

    private CsvWriter() {}

    static void write(Path file, List<RunRecord> records) throws IOException {
        boolean mmu = false;
        boolean order = false;
        for (RunRecord r : records) {
            mmu |= r.json().has(MMU_COLUMNS.get(0));
            order |= r.json().has("networkBoundFaults");
        }
        try (BufferedWriter w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            w.write(String.join(",", HEADER));
            if (mmu) w.write("," + String.join(",", MMU_COLUMNS));
            if (order) w.write("," + String.join(",", ORDER_COLUMNS));
            w.write('\n');
            for (RunRecord r : records) {
                List<String> cells = row(r);
                if (mmu) for (String key : MMU_COLUMNS) cells.add(number(r.json().path(key)));
                if (order) {
                    JsonNode j = r.json();
                    cells.add(escape(j.path("backgroundOrder").isTextual() ? j.path("backgroundOrder").asText() : ""));
                    cells.add(number(j.path("pagesTouched")));
                    cells.add(number(j.path("networkBoundFaults")));
                    cells.add(number(j.path("networkBoundFraction")));
                    cells.add(number(j.path("pageRequests")));
                    cells.add(Double.isFinite(r.blocktimeAllNs()) ? Long.toString(Math.round(r.blocktimeAllNs())) : "");
                    cells.add(number(j.path("blockedNsTotal")));
                }
                w.write(String.join(",", cells));
                w.write('\n');
            }
        }
    }

    static List<String> row(RunRecord r) {
        JsonNode j = r.json();
        JsonNode lat = j.path("faultLatencyNs");
        List<String> cells = new ArrayList<>(HEADER.size());
        cells.add(r.bench().label);
        cells.add(escape(r.mode()));
        cells.add(Integer.toString(r.vcpus()));
        cells.add(Integer.toString(j.path("readers").asInt(0)));
        cells.add(escape(j.path("uffdScope").asText("")));
        cells.add(Integer.toString(r.run().repeat()));
        cells.add(number(j.path("pagesPerSecOverall")));
        for (String key : RunRecord.LATENCY_KEYS) cells.add(number(lat.path(key)));
        cells.add(Long.toString(j.path("seed").asLong(r.run().seed())));
        cells.add(number(lat.path("count")));
        double min = Double.POSITIVE_INFINITY;
        double max = Double.NEGATIVE_INFINITY;
        for (JsonNode v : j.path("pagesPerSecPerVcpu")) {
            min = Math.min(min, v.asDouble());
            max = Math.max(max, v.asDouble());
        }
        cells.add(min <= max ? plain(min) : "");
        cells.add(min <= max ? plain(max) : "");
        cells.add(number(j.path("childWallMs")));
        cells.add(escape(j.path("backend").asText("")));
        return cells;
    }

    /** A JSON number as plain decimal text (no exponent), or "" when it is not a finite number. */
    private static String number(JsonNode n) {
        if (!n.isNumber()) return "";
        if (n.isIntegralNumber()) return n.bigIntegerValue().toString();
        return plain(n.asDouble());
    }

    private static String plain(double d) {
        if (!Double.isFinite(d)) return "";
        return BigDecimal.valueOf(d).stripTrailingZeros().toPlainString();
    }

    /** RFC 4180: quote a cell that holds a comma, a quote or a line break. */
    static String escape(String s) {
        if (s.indexOf(',') < 0 && s.indexOf('"') < 0 && s.indexOf('\n') < 0 && s.indexOf('\r') < 0) return s;
        return '"' + s.replace("\"", "\"\"") + '"';
    }
}
