package org.postcopysim.cli.compare;

import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * The comparison for people: one line per mode and vCPU count, means over the repeats that
 * finished, and each mode's rate relative to the first mode at the same vCPU count.
 */
final class ResultTable {
    private ResultTable() {}

    static void print(PrintWriter out, RunPlan plan, List<RunRecord> records) {
        Map<String, TreeMap<Integer, List<RunRecord>>> cells = Cells.byModeAndVcpus(records);
        String baseline = plan.modes().get(0);
        int modeWidth = Math.max(4, plan.modes().stream().mapToInt(String::length).max().orElse(4));
        String vs = "vs " + baseline;
        int vsWidth = Math.max(8, vs.length());
        String format = "%-" + modeWidth + "s  %5s  %5s  %10s  %" + vsWidth + "s  %9s  %9s  %9s%n";
        out.printf(Locale.ROOT, format, "mode", "vCPUs", "runs", "pages/s", vs, "p50", "p99", "max");
        for (String mode : plan.modes()) {
            for (int vcpus : plan.vcpuCounts()) {
                List<RunRecord> cell = cells.getOrDefault(mode, new TreeMap<>()).getOrDefault(vcpus, List.of());
                List<RunRecord> base = cells.getOrDefault(baseline, new TreeMap<>()).getOrDefault(vcpus, List.of());
                double rate = Cells.meanPagesPerSec(cell);
                double baseRate = Cells.meanPagesPerSec(base);
                String ratio = Double.isFinite(rate) && Double.isFinite(baseRate)
                        ? String.format(Locale.ROOT, "%.2fx", rate / baseRate) : "-";
                out.printf(Locale.ROOT, format, mode, vcpus, cell.size() + "/" + plan.repeats(), rate(rate), ratio,
                        duration(Cells.meanLatencyNs(cell, "p50")), duration(Cells.meanLatencyNs(cell, "p99")),
                        duration(Cells.meanLatencyNs(cell, "max")));
            }
        }
        out.printf(Locale.ROOT, "(pages/s and latencies: means over the runs that finished; latencies from fault to page present)%n");
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
