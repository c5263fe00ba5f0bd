package org.postcopysim.dest.vcpu;

import io.micrometer.core.instrument.Timer;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.postcopysim.dest.fetch.DemandFetcher;
import org.postcopysim.dest.kvm.AccessResult;
import org.postcopysim.dest.kvm.MemoryFaultExit;
import org.postcopysim.dest.kvm.Memslot;
import org.postcopysim.dest.kvm.Vm;
import org.postcopysim.dest.workload.AccessStream;
import org.postcopysim.memory.GuestLayout;
import org.postcopysim.memory.GuestMemory;
import org.postcopysim.memory.PageContents;

/**
 * One vCPU as a real thread ({@code vcpu-N}): the KVM_RUN loop. Each access goes through the
 * model's stage-2 ({@link Vm#access}); on KVM_EXIT_MEMORY_FAULT the thread plays the VMM's
 * userspace half: asks the {@link DemandFetcher}, waits until the page's userfault bit is clear
 * (parked in {@link PageWaiters}), re-enters, and the access maps 4 KiB and proceeds.
 *
 * <p>Every read checks one word against the source's generated contents, so a vCPU reading a page
 * before its contents are in place is caught, counted and fails the run. The loop allocates nothing.
 */
public final class VcpuRunner implements Runnable {
    /** How often a blocked vCPU re-checks its page and the stop flag while parked (nanoseconds). */
    static final long PARK_RECHECK_NS = 1_000_000;
    /** Accesses between two checks of the pacing clock and the stop flag. */
    static final int PACING_BATCH = 256;

    private final int id;
    private final Vm vm;
    private final GuestLayout layout;
    private final GuestMemory memory;
    private final GuestWriteLog writeLog;
    private final DemandFetcher fetcher;
    private final PageWaiters waiters;
    private final AccessStream stream;
    private final long contentSeed;
    private final Timer faultLatency;
    private final RunControl control;
    private final long accessesPerSec;
    private final long spinNs;
    private final VcpuCounters counters = new VcpuCounters();
    private final MemoryFaultExit exit = new MemoryFaultExit();

    /**
     * @param accessesPerSec pace of guest accesses (per second), 0 for as fast as possible
     * @param spinNs         how long a blocked vCPU spins before it parks (nanoseconds)
     */
    public VcpuRunner(int id, Vm vm, GuestMemory memory, GuestWriteLog writeLog, DemandFetcher fetcher,
                      PageWaiters waiters, AccessStream stream, long contentSeed, Timer faultLatency,
                      RunControl control, long accessesPerSec, long spinNs) {
        this.id = id;
        this.vm = vm;
        this.layout = vm.layout();
        this.memory = memory;
        this.writeLog = writeLog;
        this.fetcher = fetcher;
        this.waiters = waiters;
        this.stream = stream;
        this.contentSeed = contentSeed;
        this.faultLatency = faultLatency;
        this.control = control;
        this.accessesPerSec = accessesPerSec;
        this.spinNs = spinNs;
    }

    public int id() {
        return id;
    }

    /** This vCPU's counts; read them after the thread has been joined. */
    public VcpuCounters counters() {
        return counters;
    }

    @Override
    public void run() {
        long started = System.nanoTime();
        long batchDone = 0;
        while (!control.stopRequested()) {
            for (int i = 0; i < PACING_BATCH; i++) {
                if (!step()) return;
            }
            batchDone += PACING_BATCH;
            if (accessesPerSec > 0) {
                long now = System.nanoTime();
                long dueNs = started + batchDone * 1_000_000_000L / accessesPerSec;
                if (dueNs > now) {
                    LockSupport.parkNanos(this, dueNs - now);
                } else {
                    // Behind (it was blocked on a fault): do not run flat out to catch up, which
                    // would starve the fetcher's threads; pace from now on.
                    started = now;
                    batchDone = 0;
                }
            }
        }
    }

    /** One guest access; false when the run must stop. */
    private boolean step() {
        stream.next();
        long pageIndex = stream.pageIndex();
        long gfn = layout.gfnOfPageIndex(pageIndex);
        boolean write = stream.isWrite();
        int result = vm.access(gfn, write, exit);
        while (result == AccessResult.EXIT_MEMORY_FAULT || result == AccessResult.RETRY) {
            if (result == AccessResult.EXIT_MEMORY_FAULT) {
                counters.exits++;
                // KVM_RUN returned -EFAULT with KVM_EXIT_MEMORY_FAULT: userspace works from kvm_run.memory_fault.
                if (!resolveExit(exit.gfn())) return false;
            }
            result = vm.access(gfn, write, exit); // re-enter KVM_RUN
        }
        if (result == AccessResult.NO_MEMSLOT) {
            control.fail("vcpu-" + id + ": access to gfn " + gfn + " outside every memslot");
            return false;
        }
        counters.accesses++;
        if (write) {
            memory.getAndAddWord(pageIndex, PageContents.COUNTER_WORD, 1);
            writeLog.recordWrite(pageIndex);
            counters.writes++;
        } else {
            int word = stream.word();
            long seen = memory.readWord(pageIndex, word);
            long expected = PageContents.expectedWord(contentSeed, gfn, word);
            counters.reads++;
            if (seen != expected) {
                counters.staleReads++;
                control.fail(String.format("vcpu-%d read gfn 0x%x word %d before its contents were in place: "
                        + "saw 0x%x, source has 0x%x", id, gfn, word, seen, expected));
                return false;
            }
        }
        return true;
    }

    /** The userspace half of KVM_EXIT_MEMORY_FAULT: fetch the page, wait until it is present. */
    private boolean resolveExit(long gfn) {
        long t0 = System.nanoTime();
        Memslot slot = vm.memslotOfGfn(gfn);
        long bit = slot.indexOf(gfn);
        long pageIndex = slot.firstPageIndex() + bit;
        switch (fetcher.fault(slot, bit, gfn, pageIndex)) {
            case DemandFetcher.REQUESTED:
                counters.demandFaults++;
                break;
            case DemandFetcher.JOINED:
                counters.redundantFaults++;
                break;
            default:
                counters.resolvedBeforeRequest++;
                return true;
        }
        if (slot.userfaultBitmap().isSet(bit)) {
            long spinUntil = t0 + spinNs;
            while (slot.userfaultBitmap().isSet(bit) && System.nanoTime() < spinUntil) {
                Thread.onSpinWait();
            }
            if (slot.userfaultBitmap().isSet(bit)) {
                waiters.beginWait(id, pageIndex);
                try {
                    while (slot.userfaultBitmap().isSet(bit)) {
                        if (control.stopRequested()) return false;
                        LockSupport.parkNanos(this, PARK_RECHECK_NS);
                    }
                } finally {
                    waiters.endWait(id);
                }
            }
        }
        long latencyNs = System.nanoTime() - t0;
        counters.blockedNs += latencyNs;
        faultLatency.record(latencyNs, TimeUnit.NANOSECONDS);
        return true;
    }
}
