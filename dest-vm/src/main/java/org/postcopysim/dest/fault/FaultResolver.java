package org.postcopysim.dest.fault;

import io.micrometer.core.instrument.Timer;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.postcopysim.dest.fetch.PageInstaller;
import org.postcopysim.dest.fetch.PagePresence;
import org.postcopysim.dest.kvm.MemoryFaultExit;
import org.postcopysim.dest.kvm.Memslot;
import org.postcopysim.dest.kvm.Vm;
import org.postcopysim.dest.metrics.BlocktimeTracker;
import org.postcopysim.dest.vcpu.PageWaiters;
import org.postcopysim.dest.vcpu.RunControl;
import org.postcopysim.dest.vcpu.VcpuCounters;

/**
 * One vCPU's userspace half of a fault, whatever the fault mode: the same code for the
 * two-process migration (pages over the network) and the fault benchmark (pages from local
 * memory). Thread-confined to its vCPU's thread; allocates nothing.
 * <ul>
 *   <li>{@link #onExit}: KVM_EXIT_MEMORY_FAULT (a KVM Userfault bit, or exit-on-missing): fetch
 *       the page through the {@link PageProvider} and wait, parked in {@link PageWaiters}, until
 *       it is present; no uffd and no wake walk involved. Under exit-on-missing, a page that
 *       another party installed first is populated without a copy (MADV_POPULATE_WRITE), counted.</li>
 *   <li>{@link #onHostFault}: KVM's get_user_pages reached handle_userfault(): sleep on the
 *       uffd's wait queue until a reader resolves the fault and its wake names this vCPU.</li>
 * </ul>
 * Both record the fault latency (from the fault to the page present) and the blocked interval.
 */
public final class FaultResolver {
    /** How often a parked vCPU re-checks its page and the stop flag (nanoseconds). */
    static final long PARK_RECHECK_NS = 1_000_000;

    private final int vcpu;
    private final Vm vm;
    private final PagePresence presence;
    private final PageProvider provider;
    private final UffdRuntime uffd;
    private final PageWaiters waiters;
    private final PageInstaller.Context context;
    private final BlocktimeTracker blocktime;
    private final Timer faultLatency;
    private final VcpuCounters counters;
    private final RunControl control;
    private final long spinNs;

    /**
     * @param uffd   the uffd runtime, or null when no access of this vCPU can fault through a uffd
     * @param spinNs how long to spin on a missing page before parking (nanoseconds)
     */
    public FaultResolver(int vcpu, Vm vm, PagePresence presence, PageProvider provider, UffdRuntime uffd,
                         PageWaiters waiters, PageInstaller.Context context, BlocktimeTracker blocktime,
                         Timer faultLatency, VcpuCounters counters, RunControl control, long spinNs) {
        this.vcpu = vcpu;
        this.vm = vm;
        this.presence = presence;
        this.provider = provider;
        this.uffd = uffd;
        this.waiters = waiters;
        this.context = context;
        this.blocktime = blocktime;
        this.faultLatency = faultLatency;
        this.counters = counters;
        this.control = control;
        this.spinNs = spinNs;
    }

    /** This vCPU's counts, shared with its runner. */
    public VcpuCounters counters() {
        return counters;
    }

    /** KVM_RUN returned KVM_EXIT_MEMORY_FAULT: resolve from {@code exit}; false when the run must stop. */
    public boolean onExit(MemoryFaultExit exit) {
        long t0 = System.nanoTime();
        long gfn = exit.gfn();
        Memslot slot = vm.memslotOfGfn(gfn);
        long bit = slot.indexOf(gfn);
        long pageIndex = slot.firstPageIndex() + bit;
        boolean exitOnMissing = !exit.has(MemoryFaultExit.FLAG_USERFAULT);
        switch (provider.fetch(slot, bit, gfn, pageIndex, context)) {
            case PageProvider.INSTALLED:
                counters.demandFaults++;
                record(t0, System.nanoTime());
                return true;
            case PageProvider.REQUESTED:
                counters.demandFaults++;
                break;
            case PageProvider.JOINED:
                counters.redundantFaults++;
                if (exitOnMissing) counters.populates++;
                break;
            case PageProvider.PRESENT:
                counters.resolvedBeforeRequest++;
                if (exitOnMissing) counters.populates++;
                return true;
            default:
                return false;
        }
        if (!presence.isPresent(slot, bit, pageIndex)) {
            long spinUntil = t0 + spinNs;
            while (!presence.isPresent(slot, bit, pageIndex) && System.nanoTime() < spinUntil) Thread.onSpinWait();
        }
        long endNs;
        if (!presence.isPresent(slot, bit, pageIndex)) {
            blocktime.onBlock(vcpu, t0); // blocked since the exit: the vCPU has not run since
            boolean present = false;
            try {
                present = awaitPresent(slot, bit, pageIndex, t0);
            } finally {
                endNs = System.nanoTime();
                counters.blockedNs += blocktime.onUnblock(vcpu, endNs);
            }
            if (!present) return false;
        } else {
            endNs = System.nanoTime();
        }
        record(t0, endNs);
        return true;
    }

    private boolean awaitPresent(Memslot slot, long bit, long pageIndex, long sinceNs) {
        waiters.beginWait(vcpu, pageIndex, sinceNs);
        try {
            while (!presence.isPresent(slot, bit, pageIndex)) {
                if (control.stopRequested()) return false;
                LockSupport.parkNanos(this, PARK_RECHECK_NS);
            }
            return true;
        } finally {
            waiters.endWait(vcpu);
        }
    }

    /** The access faulted in the host on a missing page: sleep on the uffd; false when the run must stop. */
    public boolean onHostFault(MemoryFaultExit exit, boolean write) {
        if (uffd == null) {
            control.fail("vcpu-" + vcpu + ": host fault on gfn " + exit.gfn() + " with no userfaultfd registered");
            return false;
        }
        long t0 = System.nanoTime();
        long gfn = exit.gfn();
        long pageIndex = vm.layout().pageIndexOfGfn(gfn);
        counters.hostFaults++;
        blocktime.onBlock(vcpu, t0);
        boolean ok = false;
        long endNs;
        // Registered as waiting too, so the stall watchdog sees a vCPU asleep on the uffd; a wake
        // from the installer's PageWaiters is harmless (the uffd sleep re-checks its own flag).
        waiters.beginWait(vcpu, pageIndex, t0);
        try {
            ok = uffd.sleepOnFault(vcpu, pageIndex, write, control);
        } finally {
            waiters.endWait(vcpu);
            endNs = System.nanoTime();
            counters.blockedNs += blocktime.onUnblock(vcpu, endNs);
        }
        if (ok) record(t0, endNs);
        return ok;
    }

    private void record(long t0, long endNs) {
        faultLatency.record(endNs - t0, TimeUnit.NANOSECONDS);
    }
}
