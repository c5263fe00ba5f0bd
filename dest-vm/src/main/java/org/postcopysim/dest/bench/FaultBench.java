package org.postcopysim.dest.bench;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;
import org.postcopysim.dest.DestMetrics;
import org.postcopysim.dest.MemoryVerifier;
import org.postcopysim.dest.MigrationSummary;
import org.postcopysim.dest.fault.FaultModeRig;
import org.postcopysim.dest.fault.LocalPages;
import org.postcopysim.dest.fetch.PageInstaller;
import org.postcopysim.dest.metrics.BlocktimeTracker;
import org.postcopysim.dest.model.DestModel;
import org.postcopysim.dest.threads.LocalPageProvider;
import org.postcopysim.dest.threads.RunControl;
import org.postcopysim.dest.threads.ThreadedDest;
import org.postcopysim.dest.threads.VcpuRunner;
import org.postcopysim.dest.uffd.UffdSet;
import org.postcopysim.guest.GuestWriteLog;
import org.postcopysim.dest.vcpu.VcpuCounters;
import org.postcopysim.guest.Workload;
import org.postcopysim.time.NanoClock;
import org.postcopysim.memory.GuestLayout;
import org.postcopysim.memory.GuestMemory;
import org.postcopysim.memory.PageContents;

/**
 * The fault benchmark, the counterpart of the kernel's demand_paging_test: no network; every
 * page starts missing and comes from local memory after an optional delay; each vCPU touches
 * every page of its range once. It runs the same KVM model, fault resolver and vCPU runner as a
 * migration, so its figures are those of the fault path alone. Every read is checked and at the
 * end every page is compared with the source.
 */
public final class FaultBench {
    /** Bound on one run (milliseconds): a stuck run fails rather than hangs. */
    static final long RUN_TIMEOUT_MS = 600_000;

    private FaultBench() {}

    public static FaultBenchResult run(FaultBenchConfig c) {
        GuestLayout layout = GuestLayout.contiguous(c.guestBytes(), 1);
        long pages = layout.totalPages();
        int fillThreads = Math.max(1, Math.min(4, Runtime.getRuntime().availableProcessors()));
        try (GuestMemory source = GuestMemory.allocate(pages); GuestMemory memory = GuestMemory.allocate(pages)) {
            int[] crcs = fillSource(source, layout, c.seed(), fillThreads);
            memory.prefault(fillThreads);
            RunControl control = new RunControl();
            DestMetrics metrics = new DestMetrics(new SimpleMeterRegistry());
            long originNs = System.nanoTime();
            ThreadedDest threaded = new ThreadedDest(c.vcpus(), () -> { });
            DestModel model = DestModel.build(layout, c.faults(), c.vcpus(), true, originNs, threaded);
            LocalPages localPages = model.useLocalPages(crcs);
            LocalPageProvider provider = new LocalPageProvider(localPages, source, c.fetchDelayNs(), NanoClock.SYSTEM, control);
            Workload touchOnce = new Workload(Workload.Kind.SEQUENTIAL, 0, c.writeFraction());
            for (int v = 0; v < c.vcpus(); v++) {
                model.addVcpu(v, memory, touchOnce, c.seed(), c.seed(), 0, provider, metrics.latencyRecorder());
            }
            FaultModeRig rig = model.rig();
            threaded.createVcpus(model, () -> new PageInstaller.Context(memory), control, NanoClock.SYSTEM, v -> 0, 0,
                    rig::rangePages);
            threaded.startReaders(provider, () -> new PageInstaller.Context(memory));
            threaded.startVcpus();
            threaded.awaitVcpus(System.currentTimeMillis() + RUN_TIMEOUT_MS, System::currentTimeMillis, RUN_TIMEOUT_MS);
            threaded.stop();
            String error = control.failureText();
            if (error == null) error = verify(c, rig, memory, model.writeLog(), crcs);
            return result(c, model, threaded.runners(), metrics, error);
        }
    }

    /** Generates the source's memory from the seed and returns each page's CRC32C. */
    private static int[] fillSource(GuestMemory source, GuestLayout layout, long seed, int threads) {
        long pages = layout.totalPages();
        int[] crcs = new int[Math.toIntExact(pages)];
        List<Thread> workers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            long from = pages * t / threads;
            long to = pages * (t + 1) / threads;
            Thread w = new Thread(() -> {
                GuestMemory.View view = source.newView();
                CRC32C crc = new CRC32C();
                for (long p = from; p < to; p++) {
                    PageContents.fill(view.page(p), seed, layout.gfnOfPageIndex(p));
                    crcs[(int) p] = PageContents.crc32c(crc, view.page(p));
                }
            }, "bench-fill-" + t);
            w.start();
            workers.add(w);
        }
        for (Thread w : workers) {
            try {
                w.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while generating source memory", e);
            }
        }
        return crcs;
    }

    /** Every page the vCPUs touched must be present and equal the source, guest writes undone. */
    private static String verify(FaultBenchConfig c, FaultModeRig rig, GuestMemory memory, GuestWriteLog writes, int[] crcs) {
        MemoryVerifier verifier = new MemoryVerifier(memory, writes);
        long pages = rig.vm.layout().totalPages();
        long missing = 0;
        long mismatched = 0;
        long firstBad = -1;
        for (long p = 0; p < pages; p++) {
            long gfn = rig.vm.layout().gfnOfPageIndex(p);
            var slot = rig.vm.memslotOfGfn(gfn);
            if (!rig.presence.isPresent(slot, slot.indexOf(gfn), p)) {
                missing++;
                if (firstBad < 0) firstBad = gfn;
            } else if (verifier.sourceEquivalentCrc(p) != crcs[(int) p]) {
                mismatched++;
                if (firstBad < 0) firstBad = gfn;
            }
        }
        if (missing == 0 && mismatched == 0) return null;
        return String.format("%d pages missing and %d differing from the source after the run (first gfn 0x%x)",
                missing, mismatched, firstBad);
    }

    private static FaultBenchResult result(FaultBenchConfig c, DestModel model, List<VcpuRunner> runners,
                                           DestMetrics metrics, String error) {
        FaultModeRig rig = model.rig();
        BlocktimeTracker blocktime = model.blocktime();
        PageInstaller installer = model.installer();
        int n = runners.size();
        double[] perVcpu = new double[n];
        long[] exitsPerVcpu = new long[n];
        long first = Long.MAX_VALUE;
        long last = Long.MIN_VALUE;
        long touched = 0;
        VcpuCounters sum = new VcpuCounters();
        for (int v = 0; v < n; v++) {
            VcpuRunner r = runners.get(v);
            VcpuCounters k = r.counters();
            long ns = Math.max(1, r.finishedNs() - r.startedNs());
            perVcpu[v] = k.accesses * 1e9 / ns;
            exitsPerVcpu[v] = k.exits;
            first = Math.min(first, r.startedNs());
            last = Math.max(last, r.finishedNs());
            touched += k.accesses;
            sum.exits += k.exits;
            sum.hostFaults += k.hostFaults;
            sum.redundantFaults += k.redundantFaults;
            sum.populates += k.populates;
            sum.staleReads += k.staleReads;
        }
        long elapsedNs = Math.max(1, last - first);
        UffdSet uffds = rig.uffd == null ? null : rig.uffd.uffds();
        FaultBenchResult res = new FaultBenchResult("model", rig.options.mode().cliName(), c.vcpus(),
                rig.options.reportedReaders(), rig.options.reportedUffdScope(), rig.options.accessName(),
                c.memPerVcpuBytes(), c.fetchDelayNs() / 1000,
                rig.options.internalAccessFraction(), c.seed(), error == null, error, c.pagesPerVcpu(), touched,
                touched * 1e9 / elapsedNs, perVcpu, metrics.latency(), metrics.latencyLog2Us(), sum.exits, exitsPerVcpu,
                sum.hostFaults, installer.presentPages(), sum.redundantFaults, sum.populates,
                uffds == null ? MigrationSummary.UffdStats.NONE : new MigrationSummary.UffdStats(rig.uffd.sleeps(),
                        uffds.wakes(), new MigrationSummary.PerWake(uffds.meanWaitersVisitedPerWake(),
                        uffds.maxWaitersVisitedPerWake()), uffds.reads(), uffds.eexistCount(), rig.uffd.pollerWakeups()),
                new MigrationSummary.Blocktime(blocktime.allBlockedNs(), blocktime.perVcpuBlockedNs()), sum.staleReads,
                elapsedNs);
        return res;
    }
}
