package org.postcopysim.dest.threads;

import java.util.function.BooleanSupplier;
import org.postcopysim.dest.kvm.AccessResult;
import org.postcopysim.dest.vcpu.GuestAccess;
import org.postcopysim.dest.vcpu.VcpuCounters;
import org.postcopysim.guest.Pacing;
import org.postcopysim.time.NanoClock;
import org.postcopysim.time.ParkUntil;

/**
 * One vCPU as a real thread ({@code vcpu-N}): the KVM_RUN loop and its pacing. What an access
 * does is the model's ({@link GuestAccess}); a KVM_EXIT_MEMORY_FAULT or a host fault is handed to
 * the vCPU's {@link FaultResolver}, and the access is retried until it maps. The loop allocates
 * nothing.
 *
 * <p>The same runner serves the migration (a workload until told to stop, paced) and the fault
 * benchmark (each page of a range once: a sequential stream and an access limit, flat out).
 */
public final class VcpuRunner implements Runnable {
    /** Accesses between two checks of the pacing clock and the stop flag. */
    static final int PACING_BATCH = Pacing.BATCH_ACCESSES;

    private final GuestAccess access;
    private final FaultResolver resolver;
    private final RunControl control;
    private final NanoClock clock;
    private final long accessesPerSec;
    private final long maxAccesses;
    private final VcpuCounters counters;
    private final BooleanSupplier stopped;
    private volatile long startedNs;
    private volatile long finishedNs;

    /**
     * @param accessesPerSec pace of guest accesses (per second), 0 for as fast as possible
     * @param maxAccesses    stop after this many accesses, 0 for no limit
     */
    public VcpuRunner(GuestAccess access, FaultResolver resolver, RunControl control, NanoClock clock,
                      long accessesPerSec, long maxAccesses) {
        this.access = access;
        this.resolver = resolver;
        this.control = control;
        this.clock = clock;
        this.accessesPerSec = accessesPerSec;
        this.maxAccesses = maxAccesses;
        this.counters = access.counters();
        this.stopped = control::stopRequested;
    }

    public int id() {
        return access.vcpu();
    }

    /** This vCPU's counts; read them after the thread has been joined. */
    public VcpuCounters counters() {
        return counters;
    }

    /** When this vCPU started and finished its accesses (the runner's clock; 0 if not yet). */
    public long startedNs() {
        return startedNs;
    }

    public long finishedNs() {
        return finishedNs;
    }

    @Override
    public void run() {
        long started = clock.nanoTime();
        startedNs = started;
        // Whether the next batch is due: the guest's pacing arithmetic, shared with the source's vCPUs.
        Pacing pacing = new Pacing(accessesPerSec, started);
        try {
            while (!control.stopRequested()) {
                for (int i = 0; i < PACING_BATCH; i++) {
                    if (maxAccesses > 0 && counters.accesses >= maxAccesses) return;
                    if (!step()) return;
                }
                if (pacing.paced()) {
                    long now = clock.nanoTime();
                    // Until the clock says the next batch is due: a wake-up before then (a spurious
                    // one, or an installer's unpark meant for a fault wait that is over) must not run it early.
                    if (!ParkUntil.until(clock, pacing.nextBatchDueNs(now), now, stopped, this)) return;
                }
            }
        } finally {
            finishedNs = clock.nanoTime();
        }
    }

    /** One guest access; false when the run must stop. */
    private boolean step() {
        access.next();
        while (true) {
            int result = access.attempt();
            if (result == AccessResult.HIT || result == AccessResult.MAPPED) break;
            switch (result) {
                case AccessResult.EXIT_MEMORY_FAULT:
                    // KVM_RUN returned -EFAULT with KVM_EXIT_MEMORY_FAULT: userspace works from kvm_run.memory_fault.
                    if (!resolver.onExit(access.exit())) return false;
                    break;
                case AccessResult.HOST_FAULT:
                    if (!resolver.onHostFault(access.exit(), access.isWrite())) return false;
                    break;
                case AccessResult.RETRY:
                    break;
                default:
                    control.fail("vcpu-" + access.vcpu() + ": access to gfn " + access.gfn() + " outside every memslot");
                    return false;
            }
        }
        if (access.complete()) return true;
        control.fail(access.failureText());
        return false;
    }
}
