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
     * first repeat among equals); log x in microseconds. A series from percentiles rather than
     * histogram buckets says so in its name.
     */
    static void faultLatencyCdf(Path file, List<RunRecord> records) throws IOException {
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
                .xAxisTitle("fault latency (µs, log scale)").yAxisTitle("fraction of faults ≤ x").build();
        XYStyler style = chart.getStyler();
        style.setLegendPosition(LegendPosition.InsideSE);
        style.setYAxisMin(0.0);
        style.setYAxisMax(1.0);
        style.setYAxisDecimalPattern("0.00");
        style.setXAxisTickLabelsFormattingFunction(Plots::microseconds);
        for (RunRecord r : chosen) {
            LatencyCdf cdf = LatencyCdf.of(r.json());
            String name = r.mode() + " (" + r.vcpus() + " vCPUs, repeat " + r.run().repeat()
                    + (cdf.source() == LatencyCdf.Source.PERCENTILES ? ", from percentiles)" : ")");
            chart.addSeries(name, cdf.latencyUs(), cdf.fraction());
        }
        style.setXAxisLogarithmic(!chosen.isEmpty());
        if (chosen.isEmpty()) noData(chart);
        save(chart, file);
    }

    /** "0.5", "20", "1,000", "100,000": a tick label of the latency axis. */
    static String microseconds(double us) {
        return us >= 1 ? String.format(Locale.ROOT, "%,.0f", us) : String.format(Locale.ROOT, "%.3g", us);
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
