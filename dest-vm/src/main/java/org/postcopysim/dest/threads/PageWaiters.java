package org.postcopysim.dest.threads;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * Where blocked vCPU threads wait for a page (the thread runner's waiting strategy; the KVM model
 * knows nothing of it). Each vCPU has one slot naming the page it waits for; the installer wakes
 * the vCPUs whose slot matches. Both sides fence between their store and their load (a Dekker
 * pattern), so a wake-up is never lost: either the waiter sees the page present, or the
 * installer sees the waiter.
 */
public final class PageWaiters {
    private static final VarHandle SLOTS = MethodHandles.arrayElementVarHandle(long[].class);
    private static final long NONE = -1;

    private final long[] waitingFor;
    /** When (the runner's clock) each vCPU began waiting (its fault's exit), 0 when not waiting; written by the vCPU. */
    private final long[] waitSinceNs;
    private final Thread[] threads;
    private final AtomicInteger waiting = new AtomicInteger();

    public PageWaiters(int vcpus) {
        waitingFor = new long[vcpus];
        waitSinceNs = new long[vcpus];
        threads = new Thread[vcpus];
        java.util.Arrays.fill(waitingFor, NONE);
    }

    /** Records the thread that runs {@code vcpu}. */
    public void bind(int vcpu, Thread thread) {
        threads[vcpu] = thread;
    }

    /**
     * {@code vcpu} is about to wait for {@code pageIndex}, blocked since {@code sinceNs}
     * (the runner's clock, e.g. its exit); call before checking the page.
     */
    public void beginWait(int vcpu, long pageIndex, long sinceNs) {
        SLOTS.setRelease(waitSinceNs, vcpu, sinceNs == 0 ? 1 : sinceNs);
        SLOTS.setVolatile(waitingFor, vcpu, pageIndex);
        waiting.incrementAndGet();
        VarHandle.fullFence();
    }

    public void endWait(int vcpu) {
        SLOTS.setVolatile(waitingFor, vcpu, NONE);
        SLOTS.setRelease(waitSinceNs, vcpu, 0L);
        waiting.decrementAndGet();
    }

    /** Wakes every vCPU waiting for {@code pageIndex}; call after making the page present. */
    public void wake(long pageIndex) {
        VarHandle.fullFence();
        if (waiting.get() == 0) return;
        for (int v = 0; v < waitingFor.length; v++) {
            if ((long) SLOTS.getVolatile(waitingFor, v) == pageIndex) {
                Thread t = threads[v];
                if (t != null) LockSupport.unpark(t);
            }
        }
    }

    /** Wakes every waiting vCPU (on stop or failure). */
    public void wakeAll() {
        VarHandle.fullFence();
        for (Thread t : threads) {
            if (t != null) LockSupport.unpark(t);
        }
    }

    /** vCPUs (count), the length of the arrays {@link #waitSinceNs} and {@link #waitingFor} read. */
    public int vcpus() {
        return waitingFor.length;
    }

    /** When {@code vcpu} began its current wait (the runner's clock), or 0 when it is not waiting. */
    public long waitSinceNs(int vcpu) {
        return (long) SLOTS.getAcquire(waitSinceNs, vcpu);
    }

    /** The page {@code vcpu} waits for (dense index), or -1. */
    public long waitingFor(int vcpu) {
        return (long) SLOTS.getVolatile(waitingFor, vcpu);
    }

    /** vCPUs waiting right now. */
    public int waitingCount() {
        return waiting.get();
    }
}
