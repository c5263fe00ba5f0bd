package org.postcopysim.cli.compare;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.ToDoubleFunction;

/** Records grouped by mode (first-seen order) and vCPU count (ascending): the cells of the table and plots. */
final class Cells {
    private Cells() {}

    static Map<String, TreeMap<Integer, List<RunRecord>>> byModeAndVcpus(List<RunRecord> records) {
        Map<String, TreeMap<Integer, List<RunRecord>>> cells = new LinkedHashMap<>();
        for (RunRecord r : records) {
            cells.computeIfAbsent(r.mode(), m -> new TreeMap<>()).computeIfAbsent(r.vcpus(), v -> new ArrayList<>()).add(r);
        }
        return cells;
    }

    /** Mean of the finite, positive {@code pagesPerSecOverall} values; NaN when there are none. */
    static double meanPagesPerSec(List<RunRecord> records) {
        double sum = 0;
        int n = 0;
        for (RunRecord r : records) {
            double v = r.pagesPerSecOverall();
            if (Double.isFinite(v) && v > 0) {
                sum += v;
                n++;
            }
        }
        return n == 0 ? Double.NaN : sum / n;
    }

    /** Mean of {@code value} over the records where it is a finite number; NaN when there are none. */
    static double mean(List<RunRecord> records, ToDoubleFunction<RunRecord> value) {
        double sum = 0;
        int n = 0;
        for (RunRecord r : records) {
            double v = value.applyAsDouble(r);
            if (Double.isFinite(v)) {
                sum += v;
                n++;
            }
        }
        return n == 0 ? Double.NaN : sum / n;
    }

    /** Mean of a latency percentile over the records that have it; -1 when none has. */
    static double meanLatencyNs(List<RunRecord> records, String key) {
        double sum = 0;
        int n = 0;
        for (RunRecord r : records) {
            long v = r.latencyNs(key);
            if (v >= 0) {
                sum += v;
                n++;
            }
        }
        return n == 0 ? -1 : sum / n;
    }
}
