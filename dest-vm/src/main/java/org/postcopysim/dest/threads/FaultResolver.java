package org.postcopysim.dest.threads;

import java.util.concurrent.locks.LockSupport;
import org.postcopysim.dest.fault.FaultPath;
import org.postcopysim.dest.fetch.PageInstaller;
import org.postcopysim.dest.kvm.MemoryFaultExit;
import org.postcopysim.time.NanoClock;

/**
 * How a vCPU thread waits out a fault that its {@link FaultPath} (the model) classified: spin a
 * little, then park in {@link PageWaiters} until the page is present, or sleep on the uffd's wait
 * queue ({@link UffdRunner}: the model's, or a real userfaultfd's) until a wake names the vCPU. Times come from the injected clock.
 * Thread-confined to its vCPU's thread; allocates nothing.
 */
public final class FaultResolver {
    /** How often a parked vCPU re-checks its page and the stop flag (nanoseconds). */
    static final long PARK_RECHECK_NS = 1_000_000;

    private final FaultPath path;
    private final PageWaiters waiters;
    private final UffdRunner uffd;
    private final PageInstaller.Context context;
    private final RunControl control;
    private final NanoClock clock;
    private final long spinNs;

    /**
     * @param uffd   the uffd runner, or null when no access of this vCPU can fault through a uffd
     * @param spinNs how long to spin on a missing page before parking (nanoseconds)
     */
    public FaultResolver(FaultPath path, PageWaiters waiters, UffdRunner uffd, PageInstaller.Context context,
                         RunControl control, NanoClock clock, long spinNs) {
        this.path = path;
        this.waiters = waiters;
        this.uffd = uffd;
        this.context = context;
        this.control = control;
        this.clock = clock;
        this.spinNs = spinNs;
    }

    /** KVM_RUN returned KVM_EXIT_MEMORY_FAULT: resolve it; false when the run must stop. */
    public boolean onExit(MemoryFaultExit exit) {
        return await(path.onExit(exit, context, clock.nanoTime()));
    }

    /** The access faulted in the host on a missing page; false when the run must stop. */
    public boolean onHostFault(MemoryFaultExit exit, boolean write) {
        return await(path.onHostFault(exit, context, clock.nanoTime()), write);
    }

    private boolean await(int classified) {
        return await(classified, false);
    }

    private boolean await(int classified, boolean write) {
        switch (classified) {
            case FaultPath.RESOLVED:
                path.resumed(clock.nanoTime());
                return true;
            case FaultPath.WAIT_PRESENT:
                return awaitPresent();
            case FaultPath.SLEEP_UFFD:
                return sleepOnUffd(write);
            default:
                control.fail(path.failureText());
                return false;
        }
    }

    private boolean awaitPresent() {
        if (!path.isPresent()) {
            long spinUntil = path.faultNs() + spinNs;
            while (!path.isPresent() && clock.nanoTime() < spinUntil) Thread.onSpinWait();
        }
        if (path.isPresent()) {
            path.resumed(clock.nanoTime());
            return true;
        }
        path.blocked();
        int vcpu = path.vcpu();
        waiters.beginWait(vcpu, path.pageIndex(), path.faultNs());
        try {
            while (!path.isPresent()) {
                if (control.stopRequested()) {
                    path.abandoned(clock.nanoTime());
                    return false;
                }
                LockSupport.parkNanos(this, PARK_RECHECK_NS);
            }
        } finally {
            waiters.endWait(vcpu);
        }
        path.resumed(clock.nanoTime());
        return true;
    }

    private boolean sleepOnUffd(boolean write) {
        int vcpu = path.vcpu();
        // Registered as waiting too, so the stall watchdog sees a vCPU asleep on the uffd; a wake
        // from the installer's PageWaiters is harmless (the uffd sleep re-checks its own flag).
        waiters.beginWait(vcpu, path.pageIndex(), path.faultNs());
        boolean ok;
        try {
            ok = uffd.sleepOnFault(path.uffdIndex(), vcpu, path.pageIndex(), write, control);
        } finally {
            waiters.endWait(vcpu);
        }
        if (ok) {
            path.resumed(clock.nanoTime());
        } else {
            path.abandoned(clock.nanoTime());
        }
        return ok;
    }
}
