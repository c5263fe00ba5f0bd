package org.postcopysim.dest.threads;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.function.BiFunction;
import java.util.function.IntToLongFunction;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.postcopysim.dest.fault.PageProvider;
import org.postcopysim.dest.fault.UffdCopier;
import org.postcopysim.dest.fault.UffdPaths;
import org.postcopysim.dest.fetch.PageInstaller;
import org.postcopysim.dest.model.DestModel;
import org.postcopysim.time.NanoClock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The thread runner of a {@link DestModel}: one thread per vCPU ({@code vcpu-N}), the uffd
 * readers, the wait slots vCPUs park in, and the installer's wake-ups. Used by the migration and
 * the fault benchmark alike; the model knows nothing of threads.
 */
public final class ThreadedDest implements DestModel.Hooks {
    private static final Logger log = LoggerFactory.getLogger(ThreadedDest.class);
    /** How long {@link #stop} waits for each vCPU thread (milliseconds). */
    static final long STOP_JOIN_MS = 10_000;

    private final PageWaiters waiters;
    private final Runnable onAllPresent;
    private final List<VcpuRunner> runners = new ArrayList<>();
    private final List<Thread> threads = new ArrayList<>();
    private final BiFunction<UffdPaths, Integer, ? extends UffdRunner> uffdRunners;
    private UffdRunner uffd;
    private RunControl control;

    /**
     * With the model's userfaultfd wait queues ({@link UffdThreads}).
     *
     * @param vcpus        vCPUs of the model
     * @param onAllPresent called on the installing thread when the last missing page is present
     */
    public ThreadedDest(int vcpus, Runnable onAllPresent) {
        this(vcpus, onAllPresent, UffdThreads::new);
    }

    /**
     * @param uffdRunners makes the uffd runner of the model's uffd paths for that many waiters
     *                    (uffd modes; called once while the model is built)
     */
    public ThreadedDest(int vcpus, Runnable onAllPresent, BiFunction<UffdPaths, Integer, ? extends UffdRunner> uffdRunners) {
        this.waiters = new PageWaiters(vcpus);
        this.onAllPresent = onAllPresent;
        this.uffdRunners = uffdRunners;
    }

    @Override
    public UffdCopier uffdCopier(UffdPaths paths) {
        uffd = uffdRunners.apply(paths, waiters.vcpus());
        return uffd;
    }

    @Override
    public void onInstalled(long pageIndex, long gfn, boolean last) {
        waiters.wake(pageIndex);
        if (last) onAllPresent.run();
    }

    /**
     * Creates a thread per vCPU of {@code model} (not started).
     *
     * @param spinNs         how long vCPU v spins on a missing page before parking (ns), by vCPU
     * @param accessesPerSec pace of each vCPU (0 = flat out)
     * @param maxAccesses    accesses of vCPU v before it stops (0 = until stopped), by vCPU
     */
    public void createVcpus(DestModel model, Supplier<PageInstaller.Context> contexts, RunControl control, NanoClock clock,
                            IntToLongFunction spinNs, long accessesPerSec, IntToLongFunction maxAccesses) {
        this.control = control;
        for (DestModel.Vcpu v : model.vcpus()) {
            FaultResolver resolver = new FaultResolver(v.path(), waiters, uffd, contexts.get(), control, clock,
                    spinNs.applyAsLong(v.id()));
            VcpuRunner r = new VcpuRunner(v.access(), resolver, control, clock, accessesPerSec, maxAccesses.applyAsLong(v.id()));
            Thread t = new Thread(r, "vcpu-" + v.id());
            t.setDaemon(true);
            waiters.bind(v.id(), t);
            if (uffd != null) uffd.bindWaiter(v.id(), t);
            runners.add(r);
            threads.add(t);
        }
    }

    /** Starts the uffd reader threads (uffd modes; nothing otherwise), resolving through {@code provider}. */
    public void startReaders(PageProvider provider, Supplier<PageInstaller.Context> contexts) {
        if (uffd != null) uffd.startReaders(provider, contexts, control);
    }

    /** Starts the vCPU threads. */
    public void startVcpus() {
        for (Thread t : threads) t.start();
    }

    /**
     * Waits for every vCPU thread to finish on its own (the fault benchmark) until
     * {@code deadlineMs} of {@code millisClock}; a thread still running then fails the run.
     */
    public void awaitVcpus(long deadlineMs, LongSupplier millisClock, long timeoutMsForMessage) {
        for (Thread t : threads) {
            try {
                t.join(Math.max(1, deadlineMs - millisClock.getAsLong()));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                control.fail("interrupted");
            }
            if (t.isAlive()) control.fail(t.getName() + " did not finish within " + timeoutMsForMessage / 1000 + " s");
        }
    }

    /** Stops the vCPUs and the readers, wakes every sleeper, and joins the vCPU threads. */
    public void stop() {
        if (control == null) return;
        control.requestStop();
        waiters.wakeAll();
        if (uffd != null) uffd.stop();
        for (Thread t : threads) {
            try {
                t.join(STOP_JOIN_MS);
                if (t.isAlive()) log.error("{} did not stop within {} s", t.getName(), STOP_JOIN_MS / 1000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    public PageWaiters waiters() {
        return waiters;
    }

    /** The uffd runner, or null when the mode uses no userfaultfd. */
    public UffdRunner uffd() {
        return uffd;
    }

    public List<VcpuRunner> runners() {
        return Collections.unmodifiableList(runners);
    }
}
