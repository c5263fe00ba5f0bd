package org.postcopysim.sim.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.postcopysim.dest.fetch.FaultMode;
import org.postcopysim.dest.uffd.UffdSet;
import org.postcopysim.sim.cost.CostModel;

/**
 * The published table the simulator is calibrated against: the KVM Userfault series' cover letter
 * (December 2024, unchanged in later versions), anonymous memory, MISSING mode, one uffd for all
 * memory, demand_paging_test with 64 MiB per vCPU on a 96-CPU x86 host. The letter gives no unit;
 * the figures fall as vCPUs grow, so they are read as pages per second per vCPU, which is what
 * demand_paging_test prints per vCPU. Columns: no userfault at all, uffd with 1 reader, uffd with
 * readers = vCPUs, uffd + KVM Userfault, KVM Userfault alone.
 */
public final class TableA {
    /** The vCPU counts of the table's cells. */
    public static final int[] VCPUS = {2, 8, 64};
    /** Published pages per second per vCPU, [row by VCPUS][column by Column]. */
    static final long[][] PUBLISHED = {
        {306845, 90724, 86840, 143021, 160326},
        {220402, 26059, 37912, 104385, 128247},
        {47720, 3029, 1664, 34910, 39913},
    };

    /** A column of the table: a mode, and for uffd its readers (-1 = as many as vCPUs). */
    public enum Column {
        NONE("none", FaultMode.NONE, 1),
        UFFD_ONE_READER("uffd, 1 reader", FaultMode.UFFD, 1),
        UFFD_READERS_EQUAL_VCPUS("uffd, readers = vCPUs", FaultMode.UFFD, -1),
        UFFD_KVM_USERFAULT("uffd + KVM Userfault", FaultMode.UFFD_KVM_USERFAULT, 1),
        KVM_USERFAULT("KVM Userfault", FaultMode.KVM_USERFAULT, 1);

        public final String title;
        public final FaultMode mode;
        final int readers;

        Column(String title, FaultMode mode, int readers) {
            this.title = title;
            this.mode = mode;
            this.readers = readers;
        }
    }

    /** One cell: published and simulated pages per second per vCPU. */
    public record Cell(int vcpus, Column column, long published, double simulated) {
        public double ratio() {
            return simulated / published;
        }
    }

    private TableA() {}

    /** Simulates every cell with {@code costs} ({@code memPerVcpu} bytes per vCPU, seed {@code seed}). */
    public static List<Cell> simulate(CostModel costs, long memPerVcpu, long seed) {
        List<Cell> cells = new ArrayList<>();
        for (int row = 0; row < VCPUS.length; row++) {
            int v = VCPUS[row];
            for (Column col : Column.values()) {
                int readers = col.readers < 0 ? v : col.readers;
                SimFaultBenchResult r = SimFaultBench.run(new SimFaultBenchConfig(col.mode, v, memPerVcpu, readers,
                        UffdSet.Scope.SHARED, 0, seed, costs, false));
                if (!r.verified()) throw new IllegalStateException(col.title + " at " + v + " vCPUs failed: " + r.error());
                cells.add(new Cell(v, col, PUBLISHED[row][col.ordinal()], r.meanPagesPerSecPerVcpu()));
            }
        }
        return cells;
    }

    /** The largest factor by which a cell is off, either way. */
    public static double worstRatio(List<Cell> cells) {
        double worst = 1;
        for (Cell c : cells) worst = Math.max(worst, Math.max(c.ratio(), 1 / c.ratio()));
        return worst;
    }

    /**
     * Which of the authors' conclusions {@code cells} fail to reproduce (empty when all hold):
     * exits beat uffd even uncontended; one shared uffd collapses as vCPUs grow; at 64 vCPUs
     * more readers make it worse.
     */
    public static List<String> brokenConclusions(List<Cell> cells) {
        List<String> broken = new ArrayList<>();
        double kuf2 = get(cells, 2, Column.KVM_USERFAULT);
        if (!(kuf2 > get(cells, 2, Column.UFFD_ONE_READER) && kuf2 > get(cells, 2, Column.UFFD_READERS_EQUAL_VCPUS)
                && get(cells, 2, Column.UFFD_KVM_USERFAULT) > get(cells, 2, Column.UFFD_ONE_READER))) {
            broken.add("exits do not beat uffd at 2 vCPUs");
        }
        for (Column c : new Column[] {Column.UFFD_ONE_READER, Column.UFFD_READERS_EQUAL_VCPUS}) {
            if (!(get(cells, 2, c) > get(cells, 8, c) && get(cells, 8, c) > get(cells, 64, c) * 4)) {
                broken.add("the shared uffd (" + c.title + ") does not collapse as vCPUs grow");
            }
        }
        if (!(get(cells, 64, Column.UFFD_READERS_EQUAL_VCPUS) < get(cells, 64, Column.UFFD_ONE_READER))) {
            broken.add("at 64 vCPUs more readers do not make the shared uffd worse");
        }
        return broken;
    }

    static double get(List<Cell> cells, int vcpus, Column col) {
        for (Cell c : cells) if (c.vcpus() == vcpus && c.column() == col) return c.simulated();
        throw new IllegalArgumentException("no cell " + col + " at " + vcpus);
    }

    /** The side-by-side table: published, simulated, ratio, per cell. */
    public static String format(List<Cell> cells) {
        StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "%-24s %5s %12s %12s %7s%n", "column", "vCPUs",
                "published", "simulated", "ratio"));
        for (Column col : Column.values()) {
            for (int v : VCPUS) {
                for (Cell c : cells) {
                    if (c.vcpus() == v && c.column() == col) {
                        b.append(String.format(Locale.ROOT, "%-24s %5d %12d %12.0f %7.2f%n", col.title, v, c.published(),
                                c.simulated(), c.ratio()));
                    }
                }
            }
        }
        return b.toString();
    }
}
