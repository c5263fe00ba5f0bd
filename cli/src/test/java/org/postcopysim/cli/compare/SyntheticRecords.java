package org.postcopysim.cli.compare;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;

/** Run records as the children would produce them, built in memory for the writer and plot tests. */
final class SyntheticRecords {
    private SyntheticRecords() {}

    /** A fault-bench summary; with log2 buckets when {@code buckets}, else percentiles only. */
    static ObjectNode faultSummary(String mode, int vcpus, double pagesPerSec, long p50Ns, boolean buckets) {
        ObjectNode j = JsonNodeFactory.instance.objectNode();
        j.put("mode", mode).put("vcpus", vcpus).put("readers", 2).put("uffdScope", "shared")
                .put("pagesPerSecOverall", pagesPerSec).put("seed", 11);
        ArrayNode per = j.putArray("pagesPerSecPerVcpu");
        for (int i = 0; i < vcpus; i++) per.add(pagesPerSec / vcpus * (i % 2 == 0 ? 0.9 : 1.1));
        j.putObject("faultLatencyNs").put("count", 1000).put("p50", p50Ns).put("p90", p50Ns * 3).put("p99", p50Ns * 10)
                .put("p999", p50Ns * 30).put("max", p50Ns * 100).put("mean", p50Ns * 2);
        if (buckets) {
            ArrayNode b = j.putArray("faultLatencyLog2Us");
            long[] counts = {0, 100, 400, 300, 150, 40, 9, 1, 0};
            for (int i = 0; i < counts.length; i++) {
                long low = i == 0 ? 0 : 1L << (i - 1);
                b.addObject().put("lowUs", low).put("highUs", 1L << i).put("count", counts[i]);
            }
        }
        return j;
    }

    /** Records of every mode x vCPU count x repeat of a fault plan; mode i is (i + 1) times as fast. */
    static List<RunRecord> faultRecords(List<String> modes, List<Integer> vcpus, int repeats, boolean buckets) {
        RunPlan plan = RunPlan.of(Bench.FAULT, modes, vcpus, repeats, 5);
        List<RunRecord> records = new ArrayList<>();
        for (RunPlan.Run run : plan.runs()) {
            int m = modes.indexOf(run.mode());
            double rate = 10_000.0 * (m + 1) * run.vcpus() + run.repeat();
            records.add(RunRecord.fromChild(Bench.FAULT, run, faultSummary(run.mode(), run.vcpus(), rate, 2_000L * (m + 1), buckets), 1234));
        }
        return records;
    }
}
