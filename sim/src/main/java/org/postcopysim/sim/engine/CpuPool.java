package org.postcopysim.sim.engine;

/**
 * The host CPUs that simulated threads (vCPUs, uffd readers) compete for: a pool of {@code n}
 * CPUs, FIFO among the threads waiting to run, without preemption (a thread runs until it
 * sleeps; the steps it runs are microseconds, far below a scheduler's time slice). A thread that
 * wakes must get a CPU before it runs; when none is free it waits, and a CPU that frees up is
 * handed to the next waiter after a context switch. Tracks busy CPU time.
 */
public final class CpuPool {
    private final Simulator sim;
    private final int cpus;
    private final long contextSwitchNs;
    private final WaitRing runnable;
    private int free;
    private long lastChangeNs;
    private long busyCpuNs;
    private long waits;
    private long waitNs;

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
    }

    /** Thread {@code actor} wants to run: {@code runKind} is delivered once it has a CPU. */
    public void acquire(int actor, int runKind) {
        if (free > 0) {
            account();
            free--;
            sim.schedule(0, actor, runKind);
        } else {
            waits++;
            runnable.add(actor, runKind, sim.nowNs());
        }
    }

    /** The running thread gives up its CPU (it sleeps or ends); the next runnable one gets it. */
    public void release() {
        if (runnable.isEmpty()) {
            if (free == cpus) throw new IllegalStateException("CPU released while all are free");
            account();
            free++;
            return;
        }
        waitNs += sim.nowNs() - runnable.headSinceNs() + contextSwitchNs;
        sim.schedule(contextSwitchNs, runnable.headActor(), runnable.headKind());
        runnable.removeHead();
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

    /** Times a thread had to wait for a CPU. */
    public long waits() {
        return waits;
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
