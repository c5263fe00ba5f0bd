package org.postcopysim.cli.compare;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import javax.imageio.ImageIO;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.Styler.LegendPosition;
import org.knowm.xchart.style.XYStyler;

/** The PNG plots of a comparison, drawn with XChart off screen (headless). */
final class Plots {
    static final int WIDTH_PX = 900;
    static final int HEIGHT_PX = 600;
    /** The pages/s axis is logarithmic when the largest rate is at least this many times the smallest. */
    static final double LOG_AXIS_MIN_SPAN = 10;

    static {
        // Draw into images only; never reach for a display, even when DISPLAY is set.
        if (System.getProperty("java.awt.headless") == null) System.setProperty("java.awt.headless", "true");
    }

    private Plots() {}

    /**
     * Pages per second against vCPUs, one series per mode, the mean over repeats. The y axis is
     * logarithmic (whole decades) when the rates span a factor of {@link #LOG_AXIS_MIN_SPAN} or
     * more, else linear from 0, where the ratios between modes read true.
     */
    static void pagesPerSec(Path file, Bench bench, List<RunRecord> records) throws IOException {
        XYChart chart = new XYChartBuilder().width(WIDTH_PX).height(HEIGHT_PX)
                .title("Pages per second (" + bench.label + " bench, mean over repeats)")
                .xAxisTitle("vCPUs").yAxisTitle("pages/s").build();
        XYStyler style = chart.getStyler();
        style.setLegendPosition(LegendPosition.InsideNW);
        style.setXAxisTickLabelsFormattingFunction(v -> v == Math.rint(v) ? String.format(Locale.ROOT, "%.0f", v) : "");
        style.setYAxisTickLabelsFormattingFunction(ResultTable::rate);
        double lo = Double.POSITIVE_INFINITY;
        double hi = 0;
        for (Map.Entry<String, TreeMap<Integer, List<RunRecord>>> mode : Cells.byModeAndVcpus(records).entrySet()) {
            List<Double> x = new ArrayList<>();
            List<Double> y = new ArrayList<>();
            for (Map.Entry<Integer, List<RunRecord>> cell : mode.getValue().entrySet()) {
                double mean = Cells.meanPagesPerSec(cell.getValue());
                if (Double.isNaN(mean)) continue;
                x.add((double) cell.getKey());
                y.add(mean);
                lo = Math.min(lo, mean);
                hi = Math.max(hi, mean);
            }
            if (!x.isEmpty()) chart.addSeries(mode.getKey(), x, y);
        }
        if (hi == 0) {
            noData(chart);
        } else if (hi / lo >= LOG_AXIS_MIN_SPAN) {
            style.setYAxisLogarithmic(true);
            style.setYAxisMin(Math.pow(10, Math.floor(Math.log10(lo))));
            style.setYAxisMax(Math.pow(10, Math.ceil(Math.log10(hi))));
            chart.setYAxisTitle("pages/s (log scale)");
        } else {
            style.setYAxisMin(0.0);
        }
        save(chart, file);
    }

    /**
     * The fault latency CDF of each mode, from the run with the most vCPUs of that mode (the
     * first repeat among equals); log x from the decade at or below the lowest latency recorded to
     * the decade at or above the highest, ticks labelled with their unit. A series from
     * percentiles rather than histogram buckets says so in its name.
     */
    static void faultLatencyCdf(Path file, List<RunRecord> records) throws IOException {
        save(faultLatencyCdfChart(records), file);
    }

    static XYChart faultLatencyCdfChart(List<RunRecord> records) {
        List<RunRecord> chosen = new ArrayList<>();
        for (TreeMap<Integer, List<RunRecord>> byVcpus : Cells.byModeAndVcpus(records).values()) {
            for (Integer v : byVcpus.descendingKeySet()) {
                RunRecord withCdf = byVcpus.get(v).stream().filter(r -> LatencyCdf.of(r.json()) != null)
                        .min((a, b) -> Integer.compare(a.run().repeat(), b.run().repeat())).orElse(null);
                if (withCdf != null) {
                    chosen.add(withCdf);
                    break;
                }
            }
        }
        TreeSet<Integer> vcpuCounts = new TreeSet<>();
        for (RunRecord r : chosen) vcpuCounts.add(r.vcpus());
        String which = vcpuCounts.size() == 1 ? " (" + vcpuCounts.first() + ")" : "";
        XYChart chart = new XYChartBuilder().width(WIDTH_PX).height(HEIGHT_PX)
                .title("Fault latency CDF: per mode, the run with the most vCPUs" + which)
                .xAxisTitle("fault latency, exit to page present (log scale)").yAxisTitle("fraction of faults ≤ x").build();
        XYStyler style = chart.getStyler();
        style.setLegendPosition(LegendPosition.InsideSE);
        style.setYAxisMin(0.0);
        style.setYAxisMax(1.0);
        style.setYAxisDecimalPattern("0.00");
        style.setXAxisTickLabelsFormattingFunction(Plots::latencyTick);
        List<LatencyCdf> cdfs = new ArrayList<>();
        for (RunRecord r : chosen) {
            LatencyCdf cdf = LatencyCdf.of(r.json());
            cdfs.add(cdf);
            String name = r.mode() + " (" + r.vcpus() + " vCPUs, repeat " + r.run().repeat()
                    + (cdf.source() == LatencyCdf.Source.PERCENTILES ? ", from percentiles)" : ")");
            chart.addSeries(name, cdf.latencyUs(), cdf.fraction());
        }
        if (chosen.isEmpty()) {
            noData(chart);
        } else {
            double[] range = latencyAxisUs(cdfs);
            style.setXAxisLogarithmic(true);
            style.setXAxisMin(range[0]);
            style.setXAxisMax(range[1]);
        }
        return chart;
    }

    /**
     * The latency axis {min, max} in microseconds: whole decades around every curve, from the one at
     * or below the lowest latency drawn to the one at or above the highest (one decade at least).
     */
    static double[] latencyAxisUs(List<LatencyCdf> cdfs) {
        double lo = Double.POSITIVE_INFINITY;
        double hi = 0;
        for (LatencyCdf c : cdfs) {
            lo = Math.min(lo, c.lowestUs());
            hi = Math.max(hi, c.highestUs());
        }
        // a hair of slack, so that 1.0000000001 us stays in the 1 us decade after floating point
        double min = Math.pow(10, Math.floor(Math.log10(lo) + 1e-9));
        double max = Math.pow(10, Math.ceil(Math.log10(hi) - 1e-9));
        return new double[] {min, Math.max(max, min * 10)};
    }

    /** A tick of the latency axis (microseconds) with its unit: "100 ns", "1 us", "10 us", "2.5 ms", "1 s". */
    static String latencyTick(double us) {
        if (us < 1) return trim(us * 1000) + " ns";
        if (us < 1000) return trim(us) + " us";
        if (us < 1_000_000) return trim(us / 1000) + " ms";
        return trim(us / 1_000_000) + " s";
    }

    /** 100 -> "100", 2.5 -> "2.5", 0.30000000000000004 -> "0.3": three significant digits at most. */
    private static String trim(double v) {
        return new java.math.BigDecimal(v).round(new java.math.MathContext(3)).stripTrailingZeros().toPlainString();
    }

    private static void save(XYChart chart, Path file) throws IOException {
        if (!ImageIO.write(BitmapEncoder.getBufferedImage(chart), "png", file.toFile())) {
            throw new IOException("no PNG writer in this JVM");
        }
    }

    /** An empty chart still renders, and says why it is empty. */
    private static void noData(XYChart chart) {
        chart.setTitle(chart.getTitle() + " (no data)");
        chart.addSeries("no finished run", new double[] {0}, new double[] {0});
    }
}
