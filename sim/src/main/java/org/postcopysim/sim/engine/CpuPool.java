package org.postcopysim.sim.engine;

/**
 * The host CPUs that simulated threads (vCPUs, uffd readers) compete for: a pool of {@code n}
 * CPUs and the threads waiting to run. A thread runs its step (microseconds, far below a time
 * slice) to the end; a CPU that frees up is handed to the next waiter after a context switch.
 *
 * <p>Two run queues stand for the scheduler's fairness to threads that sleep: a thread woken
 * from a sleep while every CPU is busy waits in the woken queue ({@link #acquireWoken}), served
 * before the threads that have been running ({@link #acquire}), and it preempts a thread that
 * would run on without sleeping: such a thread calls {@link #runOnOrYield} between its steps and
 * gives its CPU to the woken thread, queueing itself behind the others (Linux's wake-up
 * preemption: a thread back from a sleep has used less CPU than one that never sleeps, and
 * runs first). A thread woken while a CPU is free takes it at once ({@link #tryReserve}).
 * Tracks busy CPU time. Single-threaded (the simulator's), allocation-free.
 */
public final class CpuPool {
    private final Simulator sim;
    private final int cpus;
    private final long contextSwitchNs;
    private final WaitRing runnable;
    private final WaitRing woken;
    private int free;
    private long lastChangeNs;
    private long busyCpuNs;
    private long waits;
    private long waitNs;
    private long preemptions;

    /**
     * @param cpus            host CPUs (at least 1)
     * @param contextSwitchNs cost of handing a CPU from one thread to the next waiting one (ns)
     * @param maxThreads      threads that may wait at once
     */
    public CpuPool(Simulator sim, int cpus, long contextSwitchNs, int maxThreads) {
        if (cpus < 1) throw new IllegalArgumentException("host CPUs must be at least 1, got " + cpus);
        this.sim = sim;
        this.cpus = cpus;
        this.free = cpus;
        this.contextSwitchNs = contextSwitchNs;
        this.runnable = new WaitRing(Math.max(1, maxThreads));
        this.woken = new WaitRing(Math.max(1, maxThreads));
    }

    /** Thread {@code actor} wants to run: {@code runKind} is delivered once it has a CPU. */
    public void acquire(int actor, int runKind) {
        acquire(actor, runKind, runnable);
    }

    /**
     * Thread {@code actor}, just woken from a sleep, wants to run: as {@link #acquire}, but it
     * waits ahead of the threads that have been running, and preempts one that runs on.
     */
    public void acquireWoken(int actor, int runKind) {
        acquire(actor, runKind, woken);
    }

    private void acquire(int actor, int runKind, WaitRing queue) {
        if (free > 0) {
            account();
            free--;
            sim.schedule(0, actor, runKind);
        } else {
            waits++;
            queue.add(actor, runKind, sim.nowNs());
        }
    }

    /**
     * A thread woken from a sleep takes a free CPU at once, if there is one, and keeps it from
     * now on (the CPU is its while it leaves idle: another wake-up finds it taken, as the
     * kernel's finds the CPU's run queue holding the woken thread). Returns false, taking
     * nothing, when every CPU is busy.
     */
    public boolean tryReserve() {
        if (free == 0) return false;
        account();
        free--;
        return true;
    }

    /**
     * The running thread {@code actor} goes on to {@code runKind} without sleeping: at once,
     * unless a woken thread waits for a CPU, which then gets this one (after a context switch)
     * while {@code actor} waits behind the other runnable threads. Returns whether it yielded.
     */
    public boolean runOnOrYield(int actor, int runKind) {
        if (woken.isEmpty()) {
            sim.schedule(0, actor, runKind);
            return false;
        }
        preemptions++;
        waits++;
        runnable.add(actor, runKind, sim.nowNs());
        handOff(woken);
        return true;
    }

    /** The running thread gives up its CPU (it sleeps or ends); the next runnable one gets it. */
    public void release() {
        if (!woken.isEmpty()) {
            handOff(woken);
        } else if (!runnable.isEmpty()) {
            handOff(runnable);
        } else {
            if (free == cpus) throw new IllegalStateException("CPU released while all are free");
            account();
            free++;
        }
    }

    private void handOff(WaitRing queue) {
        waitNs += sim.nowNs() - queue.headSinceNs() + contextSwitchNs;
        sim.schedule(contextSwitchNs, queue.headActor(), queue.headKind());
        queue.removeHead();
    }

    private void account() {
        long now = sim.nowNs();
        busyCpuNs += (long) (cpus - free) * (now - lastChangeNs);
        lastChangeNs = now;
    }

    public int cpus() {
        return cpus;
    }

    /** CPUs free right now. */
    public int free() {
        return free;
    }

    /** Times a thread had to wait for a CPU (preempted ones included). */
    public long waits() {
        return waits;
    }

    /** Times a running thread gave its CPU to a woken one ({@link #runOnOrYield}). */
    public long preemptions() {
        return preemptions;
    }

    /** Total time threads waited for a CPU (ns). */
    public long waitNs() {
        return waitNs;
    }

    /** CPU time used up to now (ns, summed over CPUs; a CPU handed between threads counts as busy). */
    public long busyCpuNs() {
        account();
        return busyCpuNs;
    }
}
