package org.postcopysim.dest.vcpu;

import java.util.concurrent.locks.LockSupport;
import org.postcopysim.dest.fault.FaultResolver;
import org.postcopysim.dest.kvm.AccessResult;
import org.postcopysim.dest.kvm.MemoryFaultExit;
import org.postcopysim.dest.kvm.Vm;
import org.postcopysim.dest.workload.AccessStream;
import org.postcopysim.dest.workload.SplitMix64;
import org.postcopysim.memory.GuestLayout;
import org.postcopysim.memory.GuestMemory;
import org.postcopysim.memory.PageContents;

/**
 * One vCPU as a real thread ({@code vcpu-N}): the KVM_RUN loop. Each access goes through the
 * model's stage-2 ({@link Vm#access}), or, for the fraction of accesses that are KVM-internal
 * and cannot exit, through {@link Vm#accessInternal}. A KVM_EXIT_MEMORY_FAULT or a host fault is
 * handed to the vCPU's {@link FaultResolver} (the userspace half, whatever the fault mode), and
 * the access is retried until it maps.
 *
 * <p>Every read checks one word against the source's generated contents, so a vCPU reading a page
 * before its contents are in place is caught, counted and fails the run. Writes add 1 to the
 * page's counter word and to the {@link GuestWriteLog}. The loop allocates nothing.
 *
 * <p>The same runner serves the migration (a workload until told to stop, paced) and the fault
 * benchmark (each page of a range once: a sequential stream and an access limit, flat out).
 */
public final class VcpuRunner implements Runnable {
    /** Accesses between two checks of the pacing clock and the stop flag. */
    static final int PACING_BATCH = 256;

    private final int id;
    private final Vm vm;
    private final GuestLayout layout;
    private final GuestMemory memory;
    private final GuestWriteLog writeLog;
    private final FaultResolver resolver;
    private final AccessStream stream;
    private final long contentSeed;
    private final RunControl control;
    private final long accessesPerSec;
    private final double internalFraction;
    private final long maxAccesses;
    private final SplitMix64 internalRng;
    private final VcpuCounters counters;
    private final MemoryFaultExit exit = new MemoryFaultExit();
    private volatile long startedNs;
    private volatile long finishedNs;

    /**
     * @param accessesPerSec   pace of guest accesses (per second), 0 for as fast as possible
     * @param internalFraction fraction of accesses made by KVM itself on this vCPU's behalf,
     *                         which cannot exit (0..1)
     * @param maxAccesses      stop after this many accesses, 0 for no limit
     * @param seed             seed of the internal-access choice
     */
    public VcpuRunner(int id, Vm vm, GuestMemory memory, GuestWriteLog writeLog, FaultResolver resolver,
                      AccessStream stream, long contentSeed, RunControl control, long accessesPerSec,
                      double internalFraction, long maxAccesses, long seed) {
        if (!(internalFraction >= 0 && internalFraction <= 1)) {
            throw new IllegalArgumentException("internal access fraction must be within 0..1, got " + internalFraction);
        }
        this.id = id;
        this.vm = vm;
        this.layout = vm.layout();
        this.memory = memory;
        this.writeLog = writeLog;
        this.resolver = resolver;
        this.counters = resolver.counters();
        this.stream = stream;
        this.contentSeed = contentSeed;
        this.control = control;
        this.accessesPerSec = accessesPerSec;
        this.internalFraction = internalFraction;
        this.maxAccesses = maxAccesses;
        this.internalRng = new SplitMix64(seed);
    }

    public int id() {
        return id;
    }

    /** This vCPU's counts; read them after the thread has been joined. */
    public VcpuCounters counters() {
        return counters;
    }

    /** When this vCPU started and finished its accesses (System.nanoTime; 0 if not yet). */
    public long startedNs() {
        return startedNs;
    }

    public long finishedNs() {
        return finishedNs;
    }

    @Override
    public void run() {
        long started = System.nanoTime();
        startedNs = started;
        long batchDone = 0;
        try {
            while (!control.stopRequested()) {
                for (int i = 0; i < PACING_BATCH; i++) {
                    if (maxAccesses > 0 && counters.accesses >= maxAccesses) return;
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
        } finally {
            finishedNs = System.nanoTime();
        }
    }

    /** One guest access; false when the run must stop. */
    private boolean step() {
        stream.next();
        long pageIndex = stream.pageIndex();
        long gfn = layout.gfnOfPageIndex(pageIndex);
        boolean write = stream.isWrite();
        boolean internal = internalFraction > 0 && internalRng.nextDouble() < internalFraction;
        if (internal) counters.internalAccesses++;
        while (true) {
            int result = internal ? vm.accessInternal(gfn, write, exit) : vm.access(gfn, write, exit);
            if (result == AccessResult.HIT || result == AccessResult.MAPPED) break;
            switch (result) {
                case AccessResult.EXIT_MEMORY_FAULT:
                    // KVM_RUN returned -EFAULT with KVM_EXIT_MEMORY_FAULT: userspace works from kvm_run.memory_fault.
                    counters.exits++;
                    if (!resolver.onExit(exit)) return false;
                    break;
                case AccessResult.HOST_FAULT:
                    if (!resolver.onHostFault(exit, write)) return false;
                    break;
                case AccessResult.RETRY:
                    break;
                default:
                    control.fail("vcpu-" + id + ": access to gfn " + gfn + " outside every memslot");
                    return false;
            }
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
                control.fail(String.format("vcpu-%d read gfn 0x%x word %d and saw a value the source never had (page read before its contents "
                        + "were in place, or installed with wrong contents): "
                        + "saw 0x%x, source has 0x%x", id, gfn, word, seen, expected));
                return false;
            }
        }
        return true;
    }
}
