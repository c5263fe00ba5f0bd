package org.postcopysim.dest.model;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.postcopysim.dest.fault.FaultModeRig;
import org.postcopysim.dest.fault.FaultOptions;
import org.postcopysim.dest.fault.FaultPath;
import org.postcopysim.dest.fault.LocalPages;
import org.postcopysim.dest.fault.PageProvider;
import org.postcopysim.dest.fault.UffdCopier;
import org.postcopysim.dest.fault.UffdPaths;
import org.postcopysim.dest.fetch.DemandFetcher;
import org.postcopysim.dest.fetch.FaultMode;
import org.postcopysim.dest.fetch.PageInstaller;
import org.postcopysim.dest.fetch.PagePresence;
import org.postcopysim.dest.fetch.PageRequestSender;
import org.postcopysim.dest.kvm.MmuInvariants;
import org.postcopysim.dest.kvm.MmuOptions;
import org.postcopysim.dest.kvm.PfnCache;
import org.postcopysim.dest.kvm.Vm;
import org.postcopysim.dest.metrics.BlocktimeTracker;
import org.postcopysim.dest.metrics.LatencyRecorder;
import org.postcopysim.dest.vcpu.GuestAccess;
import org.postcopysim.guest.GuestWriteLog;
import org.postcopysim.dest.vcpu.VcpuCounters;
import org.postcopysim.guest.AccessStream;
import org.postcopysim.guest.SplitMix64;
import org.postcopysim.guest.Workload;
import org.postcopysim.memory.AtomicBitmap;
import org.postcopysim.memory.GuestLayout;
import org.postcopysim.memory.GuestMemory;

/**
 * The destination's model for one run, assembled in one place: the KVM and host state of the
 * fault mode ({@link FaultModeRig}), the guest write log, the installer, where pages come from
 * (the network fetcher, or local pages), blocktime, and per vCPU its access semantics and fault
 * path. The migration ({@code DestVm}), the fault benchmark ({@code FaultBench}), the
 * virtual-time simulator and the tests all build the destination through this class, so none
 * keeps a copy of the wiring; each then drives the vCPUs its own way (threads, or simulated
 * actors). Plain data and methods: no thread, clock or lock.
 *
 * <p>Host events (reclaim, migration, protection changes, conversions: kernel-background.md §6)
 * are applied through {@link #hostEventDriver()}; the MMU counters of the summary are getters here
 * ({@link #hostEvents}, {@link #invalidations}, ...), and {@link #mmuViolations} checks the MMU
 * invariants ({@link MmuInvariants}) with the fetcher's count of refetched pages.
 */
public final class DestModel {
    /** What the runner supplies: how it serializes UFFDIO_COPY, and what it does when a page is present. */
    public interface Hooks {
        /** The runner's UFFDIO_COPY for these paths (uffd modes only; called once while building). */
        UffdCopier uffdCopier(UffdPaths paths);

        /**
         * Page {@code pageIndex} was made present (after the model's own bookkeeping), on the
         * installing thread or actor; {@code last} when it was the last missing page.
         */
        void onInstalled(long pageIndex, long gfn, boolean last);
    }

    /** One vCPU's model: its access semantics and its fault path, sharing one set of counters. */
    public record Vcpu(int id, GuestAccess access, FaultPath path, VcpuCounters counters) {}

    /** Salt of the seeds of the internal-access draws (kept from earlier releases, so seeds replay). */
    static final long INTERNAL_SEED_SALT = 0x1A7E57;
    /** Entries of each vCPU's gfn-to-pfn cache for KVM's own accesses (uffd+kvm-userfault). */
    public static final int PFN_CACHE_ENTRIES = 64;

    private final GuestLayout layout;
    private final FaultModeRig rig;
    private final GuestWriteLog writeLog;
    private final PageInstaller installer;
    private final BlocktimeTracker blocktime;
    private final AtomicBitmap touched;
    private final List<Vcpu> vcpus = new ArrayList<>();
    private final List<VcpuCounters> counters = new ArrayList<>();
    private final List<VcpuCounters> countersView = Collections.unmodifiableList(counters);
    private final HostEventDriver hostEventDriver;
    private DemandFetcher fetcher;
    private LocalPages localPages;

    private DestModel(GuestLayout layout, FaultOptions faults, int vcpuCount, boolean hugePageRecovery,
                      long blocktimeOriginNs, Hooks hooks, MmuOptions mmu) {
        this.layout = layout;
        this.rig = FaultModeRig.build(layout, hugePageRecovery, faults, vcpuCount, hooks::uffdCopier, mmu);
        this.writeLog = new GuestWriteLog(layout.totalPages());
        this.blocktime = new BlocktimeTracker(vcpuCount, blocktimeOriginNs);
        this.touched = new AtomicBitmap(layout.totalPages());
        this.installer = new PageInstaller(rig.vm, rig.presence, (pageIndex, gfn, last) -> {
            DemandFetcher f = fetcher;
            if (f != null) f.onInstalled(pageIndex);
            hooks.onInstalled(pageIndex, gfn, last);
        });
        this.hostEventDriver = new HostEventDriver(rig.vm, installer);
    }

    /**
     * A destination with every page missing.
     *
     * @param blocktimeOriginNs a time before every fault (the runner's clock)
     * @throws IllegalArgumentException when the layout and options do not fit (the message says why)
     */
    public static DestModel build(GuestLayout layout, FaultOptions faults, int vcpus, boolean hugePageRecovery,
                                  long blocktimeOriginNs, Hooks hooks) {
        return build(layout, faults, vcpus, hugePageRecovery, blocktimeOriginNs, hooks, MmuOptions.DEFAULT);
    }

    /**
     * A destination with every page missing, with the given MMU options (VM type, the
     * notify-on-upgrade variant, private memory).
     *
     * @throws IllegalArgumentException when the layout and options do not fit (the message says
     *                                  why; a mode that cannot see private memory names the memslot)
     */
    public static DestModel build(GuestLayout layout, FaultOptions faults, int vcpus, boolean hugePageRecovery,
                                  long blocktimeOriginNs, Hooks hooks, MmuOptions mmu) {
        return new DestModel(layout, faults, vcpus, hugePageRecovery, blocktimeOriginNs, hooks, mmu);
    }

    /** Pages come from the source over the network: the fetcher, at most one request in flight per page. */
    public DemandFetcher useNetwork(int maxPageRetries, PageRequestSender sender) {
        if (localPages != null || fetcher != null) throw new IllegalStateException("the page source is chosen already");
        fetcher = new DemandFetcher(layout.totalPages(), maxPageRetries, rig.presence, sender, installer.arrivedPages());
        return fetcher;
    }

    /**
     * Pages come from local memory (the fault benchmark).
     *
     * @param sourceCrc32c CRC32C of each source page, or null when contents are elided
     */
    public LocalPages useLocalPages(int[] sourceCrc32c) {
        if (localPages != null || fetcher != null) throw new IllegalStateException("the page source is chosen already");
        localPages = new LocalPages(layout.totalPages(), sourceCrc32c, installer);
        return localPages;
    }

    /**
     * Adds vCPU {@code id} (ids in order from 0) over its access range: its workload's stream is
     * seeded from {@code seed}, forked per vCPU, as is its draw of KVM-internal accesses.
     *
     * @param memory        guest memory, or null when contents are elided
     * @param startOffset   where in its range the stream starts (pages; the vCPU's state at switchover)
     * @param provider      where its faults get pages (network, or the runner's local provider)
     */
    public Vcpu addVcpu(int id, GuestMemory memory, Workload workload, long seed, long contentSeed, long startOffset,
                        PageProvider provider, LatencyRecorder latency) {
        if (id != vcpus.size()) throw new IllegalArgumentException("vCPUs are added in order: expected " + vcpus.size() + ", got " + id);
        VcpuCounters own = new VcpuCounters();
        AccessStream stream = new AccessStream(workload, rig.rangeStart(id), rig.rangePages(id), SplitMix64.fork(seed, id),
                startOffset);
        // KVM's own accesses (uffd+kvm-userfault) go through a per-vCPU gfn-to-pfn cache.
        PfnCache cache = rig.options.internalAccessFraction() > 0 ? rig.vm.newPfnCache(PFN_CACHE_ENTRIES) : null;
        GuestAccess access = new GuestAccess(id, rig.vm, memory, writeLog, stream, contentSeed,
                rig.options.internalAccessFraction(), SplitMix64.fork(seed ^ INTERNAL_SEED_SALT, id), own, cache, touched);
        FaultPath path = new FaultPath(id, rig.vm, rig.presence, provider, rig.uffd, rig.options.mode() == FaultMode.NONE,
                blocktime, latency, own);
        Vcpu v = new Vcpu(id, access, path, own);
        vcpus.add(v);
        counters.add(own);
        return v;
    }

    public GuestLayout layout() {
        return layout;
    }

    public FaultModeRig rig() {
        return rig;
    }

    public Vm vm() {
        return rig.vm;
    }

    public PagePresence presence() {
        return rig.presence;
    }

    /** The uffd paths, or null when the mode uses no userfaultfd. */
    public UffdPaths uffd() {
        return rig.uffd;
    }

    public GuestWriteLog writeLog() {
        return writeLog;
    }

    public PageInstaller installer() {
        return installer;
    }

    public BlocktimeTracker blocktime() {
        return blocktime;
    }

    /**
     * Distinct pages the guest's accesses touched so far (count): the working set of the
     * network-bound fault fraction.
     */
    public long pagesTouched() {
        return touched.cardinality();
    }

    /** The network fetcher, or null when pages are local. */
    public DemandFetcher fetcher() {
        return fetcher;
    }

    /** The local pages, or null when pages come from the network. */
    public LocalPages localPages() {
        return localPages;
    }

    public List<Vcpu> vcpus() {
        return Collections.unmodifiableList(vcpus);
    }

    /**
     * Every vCPU's counters, by vCPU id: one list for the model's life (meters that hold their
     * object weakly may hold this one).
     */
    public List<VcpuCounters> counters() {
        return countersView;
    }

    /**
     * Host events (reclaim, migration, protection changes, conversions) applied to this model,
     * stepped or in one call; see {@link HostEventDriver}.
     */
    public HostEventDriver hostEventDriver() {
        return hostEventDriver;
    }

    /** Host events begun. */
    public long hostEvents() {
        return rig.vm.hostEvents();
    }

    /** invalidate_range_start calls. */
    public long invalidations() {
        return rig.vm.invalidations();
    }

    /** Stage-2 entries zapped by invalidations. */
    public long stage2Zapped() {
        return rig.vm.stage2Zapped();
    }

    /** Faults that mapped a page again after an invalidation zapped it, inside KVM: no exit, no request. */
    public long localRefaults() {
        return rig.vm.localRefaults();
    }

    /** Valid pfn-cache entries invalidated. */
    public long pfnCacheInvalidations() {
        return rig.vm.pfnCacheInvalidations();
    }

    /** Completed pfn-cache refreshes. */
    public long pfnCacheRefreshes() {
        return rig.vm.pfnCacheRefreshes();
    }

    /** Stage-2 faults that retried (mmu_invalidate_retry, or a memslot flags change). */
    public long retriedFaults() {
        return rig.vm.retriedFaults();
    }

    /** Read-only stage-2 entries upgraded on a write fault, without a notification. */
    public long lazyUpgrades() {
        return rig.vm.lazyUpgrades();
    }

    /** Requests (or local fetches) begun for pages that had arrived: must stay 0. */
    public long refetchedArrivedPages() {
        if (fetcher != null) return fetcher.refetchedArrivedPages();
        return localPages != null ? localPages.refetchedArrivedPages() : 0;
    }

    /**
     * The MMU invariants ({@link MmuInvariants}) over this model, with the fetcher's count of
     * refetched pages: empty when they all hold. Call it with the vCPUs and the host-event
     * source quiescent.
     */
    public List<String> mmuViolations() {
        return MmuInvariants.check(rig.vm, refetchedArrivedPages(), MmuInvariants.DEFAULT_LIMIT);
    }

    /** Sum of every vCPU's counters (read once the vCPUs are quiescent). */
    public VcpuCounters totals() {
        VcpuCounters sum = new VcpuCounters();
        for (Vcpu v : vcpus) sum.add(v.counters());
        return sum;
    }
}
