package org.postcopysim.sim.migration;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.HdrHistogram.Histogram;
import org.postcopysim.dest.fault.NetworkPageProvider;
import org.postcopysim.dest.fetch.DemandFetcher;
import org.postcopysim.dest.fetch.FaultMode;
import org.postcopysim.dest.metrics.NetworkBoundFaults;
import org.postcopysim.dest.model.DestModel;
import org.postcopysim.dest.uffd.WakeSink;
import org.postcopysim.dest.vcpu.VcpuCounters;
import org.postcopysim.memory.GuestLayout;
import org.postcopysim.sim.bench.SimFaultBench;
import org.postcopysim.sim.bench.SimFaultBenchResult;
import org.postcopysim.sim.cost.Cost;
import org.postcopysim.sim.dest.SimDest;
import org.postcopysim.sim.dest.SimHostEvents;
import org.postcopysim.sim.dest.SimMmuCounters;
import org.postcopysim.sim.dest.SimReader;
import org.postcopysim.sim.dest.SimVcpu;
import org.postcopysim.sim.engine.Simulator;
import org.postcopysim.sim.net.SimChannel;

/**
 * A whole postcopy migration in virtual time: the destination's {@link DestModel} with the
 * network fetcher (the same one the real destination uses), its vCPUs and uffd readers as actors,
 * an event loop per incoming connection installing pages, and the simulated source running the
 * real source's policies, over simulated channels with latency and bandwidth: a return path for
 * requests, and one channel for pages (demand answers behind the background stream) or two
 * (postcopy-preempt: demand answers on their own).
 */
public final class SimMigration {
    /** Virtual time after which an unfinished migration fails (ns). */
    static final long VIRTUAL_TIMEOUT_NS = 3_600_000_000_000L;

    /** Pages installed, by how they came; written by the event loops. */
    static final class Counts {
        long demandInstalled;
        long backgroundInstalled;
        long duplicatesDropped;
    }

    private SimMigration() {}

    public static SimMigrationResult run(SimMigrationConfig c) {
        return run(c, model -> { });
    }

    /**
     * Runs {@code c}; {@code setup} is given the model once built, before any vCPU runs (the
     * negative controls of the tests inject a model bug there; nothing else should need it).
     */
    public static SimMigrationResult run(SimMigrationConfig c, Consumer<DestModel> setup) {
        return run(c, setup, false);
    }

    /**
     * As {@link #run(SimMigrationConfig, Consumer)}; {@code faultsUnheard} is the negative control of
     * the background orders' test: the source answers each request without telling its background
     * order (package-private: not an option anyone can set on a run).
     */
    static SimMigrationResult run(SimMigrationConfig c, Consumer<DestModel> setup, boolean faultsUnheard) {
        return run(c, setup, faultsUnheard, StreamsBug.NONE);
    }

    /** Deliberate mistakes in the simulated streams, for the negative controls of {@code SimStreamsTest}. */
    enum StreamsBug {
        NONE,
        /** Each stream gets the whole link's bandwidth, as if every stream had a link of its own. */
        FULL_BANDWIDTH_PER_STREAM,
        /** Every stream's pages are installed by one event loop on the destination. */
        ONE_DEST_LOOP
    }

    static SimMigrationResult run(SimMigrationConfig c, Consumer<DestModel> setup, boolean faultsUnheard, StreamsBug bug) {
        long wallStart = System.nanoTime();
        GuestLayout layout = GuestLayout.contiguous(c.memPerVcpuBytes() * c.vcpus(), 1);
        Simulator sim = new Simulator();
        int threads = c.vcpus() * (1 + Math.max(1, c.readers())) + 17;
        SimDest d = new SimDest(sim, c.costs(), threads, c.seed());
        DestModel model = DestModel.build(layout, c.faultOptions(), c.vcpus(), true, 0, d, c.mmu().options());
        d.bind(model, threads);
        d.steppedFaults(c.mmu().hostEvents() != null);
        SimHostEvents[] hostEvents = new SimHostEvents[1];
        long latency = c.costs().get(Cost.NET_LATENCY_NS);
        long bandwidth = c.costs().get(Cost.NET_BANDWIDTH_BYTES_PER_SEC);
        SimChannel requests = new SimChannel(sim, "requests", latency, bandwidth);
        // The streams share one link: each gets its fair share of the bandwidth (the broken variant: all of it).
        SimChannel[] streams = new SimChannel[c.streams()];
        long perStream = bug == StreamsBug.FULL_BANDWIDTH_PER_STREAM ? bandwidth : Math.max(1, bandwidth / c.streams());
        for (int i = 0; i < streams.length; i++) {
            streams[i] = new SimChannel(sim, c.streams() == 1 ? "background" : "background-" + i, latency, perStream);
        }
        SimChannel stream = streams[0];
        SimChannel answers = c.channels() == 2 ? new SimChannel(sim, "demand", latency, bandwidth) : stream;
        int[] one = new int[1];
        DemandFetcher fetcher = model.useNetwork(3, (requestId, gfn, urgent) -> {
            one[0] = (int) layout.pageIndexOfGfn(gfn);
            requests.send(Messages.REQUEST, requestId, one, 1, Messages.REQUEST_BYTES);
        });
        SimSource source = new SimSource(sim, (int) layout.totalPages(), answers, streams, c.pagesPerBatch(),
                c.maxBackgroundBytesPerSec(), c.sendBufferBytes(), c.backgroundOrder(), faultsUnheard);
        requests.receiver(source);
        Counts counts = new Counts();
        boolean uffdInstall = c.mode().usesUffd();
        SimDestLoop streamLoop = new SimDestLoop(d, uffdInstall, c.seed(), 0, counts);
        stream.receiver(streamLoop);
        if (answers != stream) answers.receiver(new SimDestLoop(d, uffdInstall, c.seed(), 1, counts));
        for (int i = 1; i < streams.length; i++) {
            // Each stream's connection has an event loop of its own (the broken variant: stream 0's does them all).
            streams[i].receiver(bug == StreamsBug.ONE_DEST_LOOP ? streamLoop : new SimDestLoop(d, uffdInstall, c.seed(), 1 + i, counts));
        }

        Histogram latencies = new Histogram(1, VIRTUAL_TIMEOUT_NS, 3);
        NetworkPageProvider provider = new NetworkPageProvider(fetcher);
        String[] failure = new String[1];
        long[] allPresentNs = {-1};
        long[] pagesTouched = {-1};
        List<SimVcpu> vcpus = new ArrayList<>();
        List<SimReader> readers = new ArrayList<>();
        SimVcpu.Listener listener = new SimVcpu.Listener() {
            @Override
            public void onDone(SimVcpu v) {
            }

            @Override
            public void onFailure(String why) {
                if (failure[0] == null) failure[0] = why;
                sim.stop();
            }
        };
        d.onAllPresent(() -> {
            allPresentNs[0] = sim.nowNs();
            pagesTouched[0] = model.pagesTouched();
            for (SimVcpu v : vcpus) v.stop();
            for (SimReader r : readers) r.stop();
            if (hostEvents[0] != null) hostEvents[0].stop();
            sim.stop();
        });
        long intervalNs = c.accessesPerSec() == 0 ? 0 : Math.max(1, 1_000_000_000L / c.accessesPerSec());
        for (int v = 0; v < c.vcpus(); v++) {
            DestModel.Vcpu mv = model.addVcpu(v, null, c.workload(), c.seed(), c.seed(), 0, provider,
                    ns -> latencies.recordValue(Math.max(1, ns)));
            SimVcpu sv = new SimVcpu(d, mv, null, null, 0, c.seed(), listener);
            sv.accessIntervalNs(intervalNs);
            vcpus.add(sv);
        }
        setup.accept(model);
        readers.addAll(SimReader.forEachUffd(d, provider, null, 0, c.seed(), listener));
        for (SimReader r : readers) r.start();
        for (SimVcpu v : vcpus) v.start(0);
        source.start();
        if (c.mmu().hostEvents() != null) {
            hostEvents[0] = new SimHostEvents(d, c.mmu().hostEvents(), c.seed(), null, c.mmu().control());
            hostEvents[0].start();
        }
        if (c.mmu().hostEvents() != null || c.internalAccessFraction() > 0) {
            // The MMU invariants checked every slice of virtual time, between two events; running in
            // slices runs the same events in the same order, so the trace is the same.
            long until = 0;
            while (allPresentNs[0] < 0 && failure[0] == null && sim.pending() > 0 && until < VIRTUAL_TIMEOUT_NS) {
                until += SimFaultBench.MMU_CHECK_SLICE_NS;
                sim.run(until);
                if (failure[0] == null) {
                    String broken = d.checkMmuNow();
                    if (broken != null) failure[0] = broken;
                }
            }
        } else {
            sim.run(VIRTUAL_TIMEOUT_NS);
        }
        if (hostEvents[0] != null) hostEvents[0].drain();
        if (model.uffd() != null) {
            for (int u = 0; u < model.uffd().uffds().count(); u++) model.uffd().wakeAll(u, WakeSink.NONE);
        }
        String error = failure[0];
        if (error == null && allPresentNs[0] < 0) {
            error = "not every page arrived: " + (layout.totalPages() - model.installer().presentPages()) + " missing when "
                    + (sim.pending() == 0 ? "nothing was left to happen" : "the virtual time ran out");
        }
        VcpuCounters t = model.totals();
        if (error == null && t.staleReads > 0) error = t.staleReads + " stale reads";
        SimMmuCounters mmu = SimMmuCounters.of(d);
        if (error == null) error = mmu.failure();
        SimFaultBenchResult.Latency lat = SimFaultBenchResult.Latency.of(latencies);
        return new SimMigrationResult(c.mode().cliName(), c.vcpus(), c.mode().usesUffd() ? c.readers() : 0, c.channels(),
                latency, c.seed(), error == null, error, layout.totalPages(), Math.max(0, allPresentNs[0]), t.accesses,
                fetcher.requestsSent(), t.demandFaults, t.redundantFaults, t.exits, t.hostFaults, counts.demandInstalled,
                counts.backgroundInstalled, counts.duplicatesDropped, lat, model.blocktime().allBlockedNs(), t.blockedNs, sim.events(),
                sim.traceHash(), (System.nanoTime() - wallStart) / 1_000_000, mmu, c.backgroundOrder().toString(),
                new NetworkBoundFaults(source.pagesFetchedOnDemand(),
                        pagesTouched[0] >= 0 ? pagesTouched[0] : model.pagesTouched()), c.streams(), source.streamPages());
    }

    /** Whether {@code mode} installs through a uffd (so the event loops take its lock). */
    static boolean installsThroughUffd(FaultMode mode) {
        return mode.usesUffd();
    }
}
