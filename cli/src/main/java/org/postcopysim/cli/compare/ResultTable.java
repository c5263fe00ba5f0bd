package org.postcopysim.cli.compare;

import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * The comparison for people: one line per mode and vCPU count, means over the repeats that
 * finished, and each mode's rate relative to the first mode at the same vCPU count. Migration
 * records that report the background order's measures add three columns: network-bound faults
 * as a share of the pages touched, demand faults and blocktime (every vCPU blocked at once).
 */
final class ResultTable {
    private ResultTable() {}

    static void print(PrintWriter out, RunPlan plan, List<RunRecord> records) {
        Map<String, TreeMap<Integer, List<RunRecord>>> cells = Cells.byModeAndVcpus(records);
        String baseline = plan.modes().get(0);
        int modeWidth = Math.max(4, plan.modes().stream().mapToInt(String::length).max().orElse(4));
        String vs = "vs " + baseline;
        int vsWidth = Math.max(8, vs.length());
        boolean order = records.stream().anyMatch(r -> Double.isFinite(r.networkBoundFraction()));
        String format = "%-" + modeWidth + "s  %5s  %5s  %10s  %" + vsWidth + "s  %9s  %9s  %9s"
                + (order ? "  %9s  %8s  %9s" : "%s%s%s") + "%n";
        out.printf(Locale.ROOT, format, "mode", "vCPUs", "runs", "pages/s", vs, "p50", "p99", "max",
                order ? "net-bound" : "", order ? "demand" : "", order ? "blocktime" : "");
        for (String mode : plan.modes()) {
            for (int vcpus : plan.vcpuCounts()) {
                List<RunRecord> cell = cells.getOrDefault(mode, new TreeMap<>()).getOrDefault(vcpus, List.of());
                List<RunRecord> base = cells.getOrDefault(baseline, new TreeMap<>()).getOrDefault(vcpus, List.of());
                double rate = Cells.meanPagesPerSec(cell);
                double baseRate = Cells.meanPagesPerSec(base);
                String ratio = Double.isFinite(rate) && Double.isFinite(baseRate)
                        ? String.format(Locale.ROOT, "%.2fx", rate / baseRate) : "-";
                double netBound = Cells.mean(cell, RunRecord::networkBoundFraction);
                double demand = Cells.mean(cell, RunRecord::demandFaults);
                double blocked = Cells.mean(cell, RunRecord::blocktimeAllNs);
                out.printf(Locale.ROOT, format, mode, vcpus, cell.size() + "/" + plan.repeats(), rate(rate), ratio,
                        duration(Cells.meanLatencyNs(cell, "p50")), duration(Cells.meanLatencyNs(cell, "p99")),
                        duration(Cells.meanLatencyNs(cell, "max")),
                        !order ? "" : Double.isFinite(netBound) ? String.format(Locale.ROOT, "%.1f%%", 100 * netBound) : "-",
                        !order ? "" : Double.isFinite(demand) ? String.format(Locale.ROOT, "%.0f", demand) : "-",
                        !order ? "" : duration(Double.isFinite(blocked) ? blocked : -1));
            }
        }
        out.printf(Locale.ROOT, "(pages/s and latencies: means over the runs that finished; latencies from fault to page present%s)%n",
                order ? "; net-bound: network-bound faults (pages first sent on demand) over the pages the guest touched; "
                        + "demand: page requests sent; blocktime: every vCPU blocked at once" : "");
        out.flush();
    }

    /** "812", "45.3 k", "1.24 M"; "-" for none. */
    static String rate(double perSec) {
        if (!Double.isFinite(perSec)) return "-";
        if (perSec < 1e3) return String.format(Locale.ROOT, "%.0f", perSec);
        if (perSec < 1e6) return String.format(Locale.ROOT, "%.1f k", perSec / 1e3);
        if (perSec < 1e9) return String.format(Locale.ROOT, "%.2f M", perSec / 1e6);
        return String.format(Locale.ROOT, "%.2f G", perSec / 1e9);
    }

    /** "950 ns", "95 us", "1.2 ms", "3.40 s"; "-" for none (negative). */
    static String duration(double ns) {
        if (ns < 0) return "-";
        if (ns < 1e3) return String.format(Locale.ROOT, "%.0f ns", ns);
        if (ns < 1e6) return String.format(Locale.ROOT, "%.0f us", ns / 1e3);
        if (ns < 1e9) return String.format(Locale.ROOT, "%.1f ms", ns / 1e6);
        return String.format(Locale.ROOT, "%.2f s", ns / 1e9);
    }
}
