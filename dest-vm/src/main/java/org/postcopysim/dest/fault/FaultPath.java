package org.postcopysim.dest.fault;

import org.postcopysim.dest.fetch.PageInstaller;
import org.postcopysim.dest.fetch.PagePresence;
import org.postcopysim.dest.kvm.MemoryFaultExit;
import org.postcopysim.dest.kvm.Memslot;
import org.postcopysim.dest.kvm.Vm;
import org.postcopysim.dest.metrics.BlocktimeTracker;
import org.postcopysim.dest.metrics.LatencyRecorder;
import org.postcopysim.dest.vcpu.VcpuCounters;

/**
 * One vCPU's userspace half of a fault, whatever the fault mode, as plain data and methods: the
 * classification of a KVM_EXIT_MEMORY_FAULT or a host fault, the counters it moves, the
 * blocktime it accrues and the latency it records. How the vCPU waits in between (spin, park a
 * thread, suspend a simulated vCPU) and where the time comes from are the runner's: every method
 * takes {@code nowNs} from the runner's clock. The thread runner ({@code threads.FaultResolver})
 * and the simulator drive the same instance type. Confined to its vCPU; allocates nothing.
 *
 * <p>A fault's life: {@link #onExit} or {@link #onHostFault} classifies it; then, unless it
 * failed, the runner waits as the result says, calling {@link #blocked} if it stops running to
 * wait, and ends it with {@link #resumed} (the vCPU re-enters) or {@link #abandoned} (the run
 * stops). Latency runs from the fault to {@link #resumed}.
 */
public final class FaultPath {
    /** The page is present: re-enter at once (call {@link #resumed}). */
    public static final int RESOLVED = 0;
    /** Wait until {@link #isPresent()} (the page is being fetched, by this fault or another). */
    public static final int WAIT_PRESENT = 1;
    /**
     * The fault reached handle_userfault(): queue on uffd {@link #uffdIndex()} (under its lock,
     * {@link UffdPaths#fault}) and sleep until a wake names this vCPU. Blocktime already runs.
     */
    public static final int SLEEP_UFFD = 2;
    /** The fault cannot be resolved; the run must stop ({@link #failureText()} says why). */
    public static final int FAILED = 3;

    private final int vcpu;
    private final Vm vm;
    private final PagePresence presence;
    private final PageProvider provider;
    private final UffdPaths uffd;
    private final boolean hostResolves;
    private final BlocktimeTracker blocktime;
    private final LatencyRecorder latency;
    private final VcpuCounters counters;

    private Memslot slot;
    private long bit;
    private long pageIndex;
    private int uffdIndex;
    private long faultNs;
    private boolean timed;
    private boolean blocked;
    private String failure;

    /**
     * @param uffd         the uffd model, or null when no access of this vCPU faults through a uffd
     * @param hostResolves a host fault with no uffd is resolved by the host kernel itself
     *                     ({@link org.postcopysim.dest.fetch.FaultMode#NONE}), through {@code provider}
     */
    public FaultPath(int vcpu, Vm vm, PagePresence presence, PageProvider provider, UffdPaths uffd,
                     boolean hostResolves, BlocktimeTracker blocktime, LatencyRecorder latency, VcpuCounters counters) {
        this.vcpu = vcpu;
        this.vm = vm;
        this.presence = presence;
        this.provider = provider;
        this.uffd = uffd;
        this.hostResolves = hostResolves;
        this.blocktime = blocktime;
        this.latency = latency;
        this.counters = counters;
    }

    public int vcpu() {
        return vcpu;
    }

    public VcpuCounters counters() {
        return counters;
    }

    /**
     * KVM_RUN returned KVM_EXIT_MEMORY_FAULT at {@code nowNs}: fetch the page through the
     * provider. Under exit-on-missing, a page that is present (another party installed it, or it
     * arrived and the host reclaimed or write-protected it since) is populated without a copy
     * (MADV_POPULATE_WRITE: {@link Vm#populate}), counted; it is never fetched again, which would
     * overwrite the guest's writes. Returns {@link #RESOLVED},
     * {@link #WAIT_PRESENT} or {@link #FAILED}.
     */
    public int onExit(MemoryFaultExit exit, PageInstaller.Context ctx, long nowNs) {
        begin(exit.gfn(), nowNs);
        boolean exitOnMissing = !exit.has(MemoryFaultExit.FLAG_USERFAULT);
        switch (provider.fetch(slot, bit, exit.gfn(), pageIndex, ctx)) {
            case PageProvider.INSTALLED:
                counters.demandFaults++;
                return RESOLVED;
            case PageProvider.REQUESTED:
                counters.demandFaults++;
                return WAIT_PRESENT;
            case PageProvider.JOINED:
                counters.redundantFaults++;
                if (exitOnMissing) counters.populates++;
                return WAIT_PRESENT;
            case PageProvider.PRESENT:
                counters.resolvedBeforeRequest++;
                if (exitOnMissing) {
                    // Here but not mapped the way KVM's fast lookup needs (installed by another party,
                    // reclaimed by the host, or write-protected): MADV_POPULATE, never a second copy.
                    counters.populates++;
                    if (vm.populate(exit.gfn(), exit.has(MemoryFaultExit.FLAG_WRITE))) counters.reclaimedPopulates++;
                }
                timed = false; // nothing was waited for
                return RESOLVED;
            default:
                return fail(String.format("vcpu-%d: the page of gfn 0x%x could not be had", vcpu, exit.gfn()));
        }
    }

    /**
     * The access faulted in the host on a missing page at {@code nowNs} (get_user_pages reached
     * handle_userfault()). Returns {@link #SLEEP_UFFD} (blocked from now), or, when the host
     * resolves faults itself, {@link #RESOLVED} / {@link #WAIT_PRESENT}; {@link #FAILED} when the
     * page lies in no registered uffd.
     */
    public int onHostFault(MemoryFaultExit exit, PageInstaller.Context ctx, long nowNs) {
        long gfn = exit.gfn();
        begin(gfn, nowNs);
        counters.hostFaults++;
        if (uffd == null) {
            if (!hostResolves) {
                return fail(String.format("vcpu-%d: host fault on gfn 0x%x with no userfaultfd registered", vcpu, gfn));
            }
            switch (provider.fetch(slot, bit, gfn, pageIndex, ctx)) {
                case PageProvider.INSTALLED:
                    return RESOLVED;
                case PageProvider.REQUESTED:
                case PageProvider.JOINED:
                    return WAIT_PRESENT;
                case PageProvider.PRESENT:
                    timed = false;
                    return RESOLVED;
                default:
                    return fail(String.format("vcpu-%d: the host could not populate gfn 0x%x", vcpu, gfn));
            }
        }
        uffdIndex = uffd.uffdOf(pageIndex);
        if (uffdIndex < 0) {
            return fail("page " + pageIndex + " faulted outside every registered userfaultfd range");
        }
        block(nowNs);
        return SLEEP_UFFD;
    }

    private void begin(long gfn, long nowNs) {
        faultNs = nowNs;
        timed = true;
        blocked = false;
        slot = vm.memslotOfGfn(gfn);
        bit = slot.indexOf(gfn);
        pageIndex = slot.firstPageIndex() + bit;
    }

    /** Whether the current fault's page is present (the wait of {@link #WAIT_PRESENT} is over). */
    public boolean isPresent() {
        return presence.isPresent(slot, bit, pageIndex);
    }

    /** Dense page index of the current fault. */
    public long pageIndex() {
        return pageIndex;
    }

    /** The uffd of the current {@link #SLEEP_UFFD} fault. */
    public int uffdIndex() {
        return uffdIndex;
    }

    /** When the current fault happened (the runner's clock, ns). */
    public long faultNs() {
        return faultNs;
    }

    /**
     * The vCPU stops running to wait for the page: it has been blocked since the fault (it has
     * not run since). Idempotent.
     */
    public void blocked() {
        block(faultNs);
    }

    private void block(long sinceNs) {
        if (blocked) return;
        blocked = true;
        blocktime.onBlock(vcpu, sinceNs);
    }

    /**
     * The page is present at {@code nowNs} and the vCPU re-enters: ends the fault, records its
     * latency (to the recorder, and to this vCPU's count and sum of waited faults).
     */
    public void resumed(long nowNs) {
        unblock(nowNs);
        if (!timed) return;
        long latencyNs = nowNs - faultNs;
        latency.record(latencyNs);
        counters.waitedFaults++;
        counters.waitedFaultsLatencyNs += latencyNs;
    }

    /** The run stops while the fault waits: ends it without a latency. */
    public void abandoned(long nowNs) {
        unblock(nowNs);
    }

    private void unblock(long nowNs) {
        if (!blocked) return;
        blocked = false;
        counters.blockedNs += blocktime.onUnblock(vcpu, nowNs);
    }

    private int fail(String why) {
        failure = why;
        return FAILED;
    }

    /** Why the last fault returned {@link #FAILED}. */
    public String failureText() {
        return failure;
    }
}
