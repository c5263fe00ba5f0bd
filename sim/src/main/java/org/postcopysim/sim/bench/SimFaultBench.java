package org.postcopysim.sim.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;
import java.util.function.LongConsumer;
import java.util.zip.CRC32C;
import org.HdrHistogram.Histogram;
import org.postcopysim.dest.MemoryVerifier;
import org.postcopysim.dest.fault.LocalPages;
import org.postcopysim.dest.fetch.PageInstaller;
import org.postcopysim.dest.model.DestModel;
import org.postcopysim.dest.uffd.UffdSet;
import org.postcopysim.dest.uffd.WakeSink;
import org.postcopysim.dest.vcpu.VcpuCounters;
import org.postcopysim.guest.Workload;
import org.postcopysim.memory.GuestLayout;
import org.postcopysim.memory.GuestMemory;
import org.postcopysim.memory.PageContents;
import org.postcopysim.sim.dest.SimDest;
import org.postcopysim.sim.dest.SimHostEvents;
import org.postcopysim.sim.dest.SimLocalPages;
import org.postcopysim.sim.dest.SimMmuCounters;
import org.postcopysim.sim.dest.SimReader;
import org.postcopysim.sim.dest.SimVcpu;
import org.postcopysim.sim.engine.Simulator;

/**
 * The fault benchmark in virtual time: the same {@link DestModel} as {@code fault-bench} (built
 * the same way, same seeds), its vCPUs and uffd readers as simulated actors on simulated host CPUs
 * and locks, the costs from the cost model. Deterministic: one config gives one trace hash.
 */
public final class SimFaultBench {
    /** Virtual time after which a run that has not finished fails (ns): one virtual hour. */
    static final long VIRTUAL_TIMEOUT_NS = 3_600_000_000_000L;
    /** Virtual time between two progress reports (ns). */
    static final long PROGRESS_SLICE_NS = 5_000_000;
    /**
     * With host events (which never run out, so the queue never empties): virtual time without
     * any vCPU access after which the run is stalled (ns), plus twice the fetch delay.
     */
    static final long STALL_NS = 1_000_000_000L;
    /**
     * With host events or internal accesses: virtual time between two checks of the MMU
     * invariants during the run (ns), besides the one at its end.
     */
    public static final long MMU_CHECK_SLICE_NS = 1_000_000;

    private SimFaultBench() {}

    public static SimFaultBenchResult run(SimFaultBenchConfig c) {
        return run(c, done -> { });
    }

    /**
     * Runs {@code c}; {@code progress} is told the pages touched so far, now and then (on this thread).
     */
    public static SimFaultBenchResult run(SimFaultBenchConfig c, LongConsumer progress) {
        return run(c, progress, model -> { });
    }

    /**
     * Runs {@code c}; {@code setup} is given the model once built, before any vCPU runs (the
     * negative controls of the tests inject a model bug there; nothing else should need it).
     */
    public static SimFaultBenchResult run(SimFaultBenchConfig c, LongConsumer progress, Consumer<DestModel> setup) {
        long wallStart = System.nanoTime();
        GuestLayout layout = GuestLayout.contiguous(c.memPerVcpuBytes() * c.vcpus(), 1);
        long pages = layout.totalPages();
        GuestMemory source = null;
        GuestMemory memory = null;
        try {
            int[] crcs = null;
            if (c.contents()) {
                source = GuestMemory.allocate(pages);
                memory = GuestMemory.allocate(pages);
                crcs = fill(source, layout, c.seed());
            }
            Simulator sim = new Simulator();
            int threads = c.vcpus() * (1 + Math.max(1, c.readers())) + 9;
            SimDest d = new SimDest(sim, c.costs(), threads, c.seed());
            DestModel model = DestModel.build(layout, c.faultOptions(), c.vcpus(), true, 0, d, c.mmu().options());
            d.bind(model, threads);
            d.steppedFaults(c.mmu().hostEvents() != null);
            boolean checkMmu = c.mmu().hostEvents() != null || c.internalAccessFraction() > 0;
            LocalPages localPages = model.useLocalPages(crcs);
            SimLocalPages provider = new SimLocalPages(localPages, source == null ? null : source.newView());
            Histogram latency = new Histogram(1, VIRTUAL_TIMEOUT_NS, 3);
            Workload touchOnce = new Workload(Workload.Kind.SEQUENTIAL, 0, 0);
            PageInstaller.Context ctx = memory == null ? null : new PageInstaller.Context(memory);
            String[] failure = new String[1];
            int[] done = new int[1];
            SimVcpu.Listener listener = new SimVcpu.Listener() {
                @Override
                public void onDone(SimVcpu v) {
                    if (++done[0] == c.vcpus()) sim.stop();
                }

                @Override
                public void onFailure(String why) {
                    if (failure[0] == null) failure[0] = why;
                    sim.stop();
                }
            };
            List<SimVcpu> vcpus = new ArrayList<>();
            for (int v = 0; v < c.vcpus(); v++) {
                DestModel.Vcpu mv = model.addVcpu(v, memory, touchOnce, c.seed(), c.seed(), 0, provider,
                        ns -> latency.recordValue(Math.max(1, ns)));
                SimVcpu sv = new SimVcpu(d, mv, provider, ctx, model.rig().rangePages(v), c.seed(), listener);
                sv.fetchDelayNs(c.fetchDelayNs());
                vcpus.add(sv);
            }
            setup.accept(model);
            List<SimReader> readers = SimReader.forEachUffd(d, provider, ctx, c.fetchDelayNs(), c.seed(), listener);
            for (SimReader r : readers) r.start();
            for (SimVcpu v : vcpus) v.start(0);
            SimHostEvents hostEvents = c.mmu().hostEvents() == null ? null
                    : new SimHostEvents(d, c.mmu().hostEvents(), c.seed(), ctx, c.mmu().control());
            if (hostEvents != null) hostEvents.start();
            long until = 0;
            long stallNs = STALL_NS + 2 * c.fetchDelayNs();
            long lastTouched = -1;
            long stuckSince = 0;
            boolean stuck = false;
            while (done[0] < c.vcpus() && failure[0] == null && sim.pending() > 0 && sim.nowNs() < VIRTUAL_TIMEOUT_NS) {
                until += checkMmu ? MMU_CHECK_SLICE_NS : PROGRESS_SLICE_NS;
                sim.run(until);
                if (checkMmu && failure[0] == null) {
                    String broken = d.checkMmuNow();
                    if (broken != null) {
                        failure[0] = broken;
                        break;
                    }
                }
                long t = touched(model);
                progress.accept(t);
                if (t != lastTouched) {
                    lastTouched = t;
                    stuckSince = sim.nowNs();
                } else if (hostEvents != null && sim.nowNs() - stuckSince >= stallNs) {
                    stuck = true; // host events never run out: notice a stall by the vCPUs' progress
                    break;
                }
            }
            if (hostEvents != null) hostEvents.drain();
            for (SimReader r : readers) r.stop();
            if (model.uffd() != null) {
                // Closing each uffd wakes whoever still sleeps on it, as the thread runner's stop does.
                for (int u = 0; u < model.uffd().uffds().count(); u++) model.uffd().wakeAll(u, WakeSink.NONE);
            }
            String error = failure[0];
            if (error == null && done[0] < c.vcpus()) {
                error = stuck ? "simulation stalled: no vCPU access for " + stallNs / 1_000_000 + " ms of virtual time, "
                        + (c.vcpus() - done[0]) + " vCPUs not done"
                        : sim.pending() == 0
                        ? "simulation stalled: " + (c.vcpus() - done[0]) + " vCPUs waiting and nothing left to happen"
                        : "simulation did not finish within " + VIRTUAL_TIMEOUT_NS / 1_000_000_000 + " s of virtual time";
            }
            if (error == null) error = verify(model, memory, crcs);
            SimMmuCounters mmu = SimMmuCounters.of(d);
            if (error == null) error = mmu.failure();
            return result(c, model, vcpus, d, latency, sim, error, (System.nanoTime() - wallStart) / 1_000_000, mmu);
        } finally {
            if (memory != null) memory.close();
            if (source != null) source.close();
        }
    }

    private static long touched(DestModel model) {
        long n = 0;
        for (VcpuCounters k : model.counters()) n += k.accesses;
        return n;
    }

    private static int[] fill(GuestMemory source, GuestLayout layout, long seed) {
        int[] crcs = new int[Math.toIntExact(layout.totalPages())];
        GuestMemory.View view = source.newView();
        CRC32C crc = new CRC32C();
        for (long p = 0; p < layout.totalPages(); p++) {
            PageContents.fill(view.page(p), seed, layout.gfnOfPageIndex(p));
            crcs[(int) p] = PageContents.crc32c(crc, view.page(p));
        }
        return crcs;
    }

    /** Every page present; with contents, equal to the source's with the guest's writes undone. */
    private static String verify(DestModel model, GuestMemory memory, int[] crcs) {
        GuestLayout layout = model.layout();
        MemoryVerifier verifier = memory == null ? null : new MemoryVerifier(memory, model.writeLog());
        long missing = 0;
        long mismatched = 0;
        for (long p = 0; p < layout.totalPages(); p++) {
            long gfn = layout.gfnOfPageIndex(p);
            var slot = model.vm().memslotOfGfn(gfn);
            if (!model.presence().isPresent(slot, slot.indexOf(gfn), p)) {
                missing++;
            } else if (verifier != null && verifier.sourceEquivalentCrc(p) != crcs[(int) p]) {
                mismatched++;
            }
        }
        VcpuCounters t = model.totals();
        if (missing == 0 && mismatched == 0 && t.staleReads == 0) return null;
        return missing + " pages missing, " + mismatched + " differing and " + t.staleReads + " stale reads after the run";
    }

    private static SimFaultBenchResult result(SimFaultBenchConfig c, DestModel model, List<SimVcpu> vcpus, SimDest d,
                                              Histogram latency, Simulator sim, String error, long wallMs,
                                              SimMmuCounters mmu) {
        long first = Long.MAX_VALUE;
        long last = 0;
        double[] perVcpu = new double[vcpus.size()];
        long[] exitsPerVcpu = new long[vcpus.size()];
        for (SimVcpu v : vcpus) {
            exitsPerVcpu[v.id()] = v.counters().exits;
            first = Math.min(first, v.startedNs());
            last = Math.max(last, v.finishedNs());
            long ns = Math.max(1, v.finishedNs() - v.startedNs());
            perVcpu[v.id()] = v.finishedNs() < 0 ? 0 : v.counters().accesses * 1e9 / ns;
        }
        VcpuCounters t = model.totals();
        long elapsed = Math.max(1, last - first);
        UffdSet uffds = model.uffd() == null ? null : model.uffd().uffds();
        long contended = d.lockContended();
        SimFaultBenchResult.Latency lat = SimFaultBenchResult.Latency.of(latency);
        return new SimFaultBenchResult(c.mode().cliName(), c.vcpus(), c.reportedReaders(),
                c.mode().usesUffd() ? c.uffdScope().name().toLowerCase(Locale.ROOT).replace('_', '-') : "",
                c.memPerVcpuBytes(), c.seed(), error == null, error, t.accesses, t.accesses * 1e9 / elapsed,
                perVcpu, lat, t.exits, t.hostFaults, t.demandFaults, t.redundantFaults, t.populates,
                uffds == null ? 0 : uffds.eexistCount(), uffds == null ? 0 : uffds.reads(),
                uffds == null ? 0 : uffds.wakes(), uffds == null ? 0 : uffds.waitersVisited(),
                uffds == null ? 0 : uffds.meanWaitersVisitedPerWake(), model.uffd() == null ? 0 : model.uffd().pollerWakeups(),
                contended, d.wakeWalksCharged(), d.wakeWalkVisitsCharged(), d.wakeWalkChargedNs(), sim.nowNs(), sim.events(),
                sim.traceHash(), wallMs, mmu, model.installer().presentPages(),
                new org.postcopysim.dest.MigrationSummary.Blocktime(model.blocktime().allBlockedNs(),
                        model.blocktime().perVcpuBlockedNs()),
                org.postcopysim.dest.metrics.Log2Buckets.fromNanos(latency), exitsPerVcpu,
                uffds == null ? 0 : uffds.maxWaitersVisitedPerWake(), t.staleReads, elapsed);
    }
}
