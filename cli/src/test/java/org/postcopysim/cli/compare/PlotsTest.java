package org.postcopysim.cli.compare;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYSeries;

class PlotsTest {

    /** A fault-bench record of {@code mode} whose faults took {@code minNs} .. {@code maxNs}, in log2 us buckets. */
    private static RunRecord record(String mode, long minNs, long p50Ns, long maxNs, long[] countsFrom0To1Us) {
        RunPlan.Run run = RunPlan.of(Bench.FAULT, List.of(mode), List.of(4), 1, 7).runs().get(0);
        ObjectNode j = SyntheticRecords.faultSummary(mode, 4, 1e6, p50Ns, false);
        ((ObjectNode) j.path("faultLatencyNs")).put("min", minNs).put("p90", Math.max(p50Ns, 900)).put("p99", maxNs / 2)
                .put("p999", maxNs / 2).put("max", maxNs);
        ArrayNode b = j.putArray("faultLatencyLog2Us");
        for (int i = 0; i < countsFrom0To1Us.length; i++) {
            b.addObject().put("lowUs", i == 0 ? 0 : 1L << (i - 1)).put("highUs", 1L << i).put("count", countsFrom0To1Us[i]);
        }
        return RunRecord.fromChild(Bench.FAULT, run, j, 1000);
    }

    @Test
    void theLatencyAxisStartsAtTheDecadeBelowTheFastestFaultWhenFaultsTakeLessThanAMicrosecond() {
        // As measured: kvm-userfault had 81% of its faults below 1 us, exit-on-missing 96%.
        RunRecord kvm = record("kvm-userfault", 180, 400, 3_900, new long[] {81, 15, 4});
        RunRecord eom = record("exit-on-missing", 120, 300, 30_000, new long[] {96, 3, 0, 0, 0, 1});
        RunRecord uffd = record("uffd", 40_000, 90_000, 12_000_000, new long[] {0, 0, 0, 0, 0, 0, 0, 10, 50, 30, 10});

        XYChart chart = Plots.faultLatencyCdfChart(List.of(kvm, eom, uffd));

        assertEquals(0.1, chart.getStyler().getXAxisMin(), 1e-12, "100 ns: the decade below the fastest fault, 120 ns");
        assertEquals(1e4, chart.getStyler().getXAxisMax(), 1e-6, "10 ms: the decade above 1.024 ms, the top of uffd's last bucket");
        assertTrue(chart.getStyler().isXAxisLogarithmic());
        XYSeries kvmSeries = chart.getSeriesCollection().stream().filter(s -> s.getName().startsWith("kvm-userfault"))
                .findFirst().orElseThrow();
        assertEquals(0.18, kvmSeries.getXData()[0], 1e-12, "the curve starts at the fastest fault");
        assertEquals(0.0, kvmSeries.getYData()[0], 1e-12);
        assertEquals(0.5, kvmSeries.getYData()[1], 1e-12, "the median, 400 ns, is drawn below 1 us");
    }

    @Test
    void theAxisSpansWholeDecadesAroundTheData() {
        assertArrayEquals(new double[] {1, 100}, Plots.latencyAxisUs(List.of(cdf(1.0, 64))), 1e-12);
        assertArrayEquals(new double[] {0.01, 1}, Plots.latencyAxisUs(List.of(cdf(0.012, 0.5))), 1e-12);
        assertArrayEquals(new double[] {10, 100}, Plots.latencyAxisUs(List.of(cdf(20, 20))), 1e-12, "one decade at least");
    }

    private static LatencyCdf cdf(double lowUs, double highUs) {
        return new LatencyCdf(LatencyCdf.Source.PERCENTILES, new double[] {lowUs, highUs}, new double[] {0, 1});
    }

    @Test
    void latencyTicksCarryTheirUnitInOneFormat() {
        assertEquals("100 ns", Plots.latencyTick(0.1));
        assertEquals("250 ns", Plots.latencyTick(0.25));
        assertEquals("1 us", Plots.latencyTick(1));
        assertEquals("10 us", Plots.latencyTick(10));
        assertEquals("500 us", Plots.latencyTick(500));
        assertEquals("1 ms", Plots.latencyTick(1000));
        assertEquals("2.5 ms", Plots.latencyTick(2500));
        assertEquals("1 s", Plots.latencyTick(1e6));
        assertEquals("1 ns", Plots.latencyTick(0.001));
    }
}
