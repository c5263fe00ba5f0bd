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
 * runs first); with slices protected ({@link #protectSlices}) only once the running thread has
 * held its CPU for its slice. A thread woken while a CPU is free takes it at once ({@link
 * #tryReserve}).
 *
 * <p>A woken thread may instead be placed on its waker's CPU ({@link #acquireOnCpuOf}, Linux's
 * wake-affine placement): it waits for that CPU even while another is idle, and gets it when that
 * CPU's thread yields or sleeps; the waker it preempted then waits on that CPU, behind it. A CPU
 * that has been idle does not pull such a thread, but one about to go idle does (Linux's idle
 * balance when a CPU runs out of work), so no thread waits for a busy CPU across the moment
 * another goes idle; except during a placement phase ({@link #placeInPhases}), when the
 * threads placed on a CPU stay there. So each CPU is tracked: which thread holds it, and the threads placed on it
 * and yielded by it (queues made on the first placement). Tracks busy CPU time. Single-threaded
 * (the simulator's), allocation-free once every CPU's queues exist.
 */
public final class CpuPool {
    private final Simulator sim;
    private final int cpus;
    private final long contextSwitchNs;
    private final WaitRing runnable;
    private final WaitRing woken;
    /** Per CPU: the woken threads placed on it ({@link #acquireOnCpuOf}), served before any other. */
    private final WaitRing[] placed;
    /** Per CPU: the threads that yielded it to a thread placed on it: they wait on that CPU, next after the placed ones. */
    private final WaitRing[] yielded;
    private final int maxThreads;
    /** A thread was ever placed ({@link #acquireOnCpuOf}): only then can one wait for a CPU while another is free. */
    private boolean everPlaced;
    /** The free CPUs, a stack of their numbers ({@code free} of them). */
    private final int[] freeCpus;
    /** Per actor id: the CPU it holds, or -1. */
    private int[] cpuOf = new int[0];
    /** When placement comes in phases ({@link #placeInPhases}), else null. */
    private AffinePhases phases;
    /** A running thread's protected slice ({@link #protectSlices}, ns); 0: a woken thread preempts at once. */
    private long sliceNs;
    /** Per actor id: when it got the CPU it holds (ns). */
    private long[] heldSinceNs = new long[0];
    /** A thread that ran this recently is cache-hot: no idle CPU pulls it ({@link #protectCacheHot}, ns); 0: off. */
    private long migrationCostNs;
    /** Per actor id: the CPU it last held, or -1; and when it last gave a CPU up (ns). */
    private int[] lastCpuOf = new int[0];
    private long[] releasedAtNs = new long[0];
    /** The actor that balances idle CPUs once cache-hot threads cool (-1: none); its next balance (ns). */
    private int balancer = -1;
    private long balanceAtNs = Long.MAX_VALUE;

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
        this.maxThreads = Math.max(1, maxThreads);
        // The per-CPU queues exist once a thread is placed at all (wake-affine > 0): without placement a
        // pool of many CPUs and threads would hold two empty rings per CPU for nothing.
        this.placed = new WaitRing[cpus];
        this.yielded = new WaitRing[cpus];
        this.freeCpus = new int[cpus];
        for (int c = 0; c < cpus; c++) freeCpus[c] = cpus - 1 - c;
    }

    /** Thread {@code actor} wants to run: {@code runKind} is delivered once it has a CPU. */
    public void acquire(int actor, int runKind) {
        acquire(actor, runKind, runnable);
    }

    /**
     * Thread {@code actor}, just woken from a sleep, wants to run: as {@link #acquire}, but it
     * waits ahead of the threads that have been running, and preempts one that runs on. With
     * cache-hot threads protected ({@link #protectCacheHot}) and every CPU busy, it waits on the
     * run queue of the CPU it last held ({@link #acquireOnCpu}), as Linux enqueues a woken thread
     * on its previous CPU when it finds no idle one.
     */
    public void acquireWoken(int actor, int runKind) {
        if (free == 0 && migrationCostNs > 0 && lastCpuOf(actor) >= 0) {
            acquireOnCpu(lastCpuOf(actor), actor, runKind);
            return;
        }
        acquire(actor, runKind, woken);
    }

    /**
     * Thread {@code actor}, just woken by {@code waker}, is placed on the waker's CPU (Linux's
     * wake-affine placement): it waits for that CPU even while another is idle, ahead of every
     * other thread waiting for it, and gets it when the waker yields it ({@link #runOnOrYield})
     * or sleeps ({@link #release}). When the waker holds no CPU (it slept meanwhile) the woken
     * thread waits as {@link #acquireWoken} does.
     */
    public void acquireOnCpuOf(int waker, int actor, int runKind) {
        int c = cpuOf(waker);
        if (c < 0) {
            acquire(actor, runKind, woken);
            return;
        }
        acquireOnCpu(c, actor, runKind);
    }

    /**
     * Thread {@code actor}, just woken while every CPU is busy, waits for CPU {@code c} in
     * particular (Linux enqueues a woken thread on one CPU's run queue, its previous one when no
     * idle CPU is found), ahead of every other thread waiting for it, as {@link #acquireOnCpuOf}.
     */
    public void acquireOnCpu(int c, int actor, int runKind) {
        waits++;
        everPlaced = true;
        if (placed[c] == null) {
            placed[c] = new WaitRing(maxThreads);
            yielded[c] = new WaitRing(maxThreads);
        }
        placed[c].add(actor, runKind, sim.nowNs());
    }

    private void acquire(int actor, int runKind, WaitRing queue) {
        if (free > 0) {
            take(actor);
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
    public boolean tryReserve(int actor) {
        if (free == 0) return false;
        take(actor);
        return true;
    }

    /**
     * The running thread {@code actor} goes on to {@code runKind} without sleeping: at once,
     * unless a woken thread waits for a CPU (one placed on this CPU first), which then gets this
     * one (after a context switch) while {@code actor} waits behind the other runnable threads.
     * Returns whether it yielded.
     */
    public boolean runOnOrYield(int actor, int runKind) {
        int c = held(actor);
        WaitRing next = placed[c] != null && !placed[c].isEmpty() ? placed[c] : woken;
        if (next.isEmpty() || sim.nowNs() - heldSinceNs[actor] < sliceNs) {
            sim.schedule(0, actor, runKind);
            return false;
        }
        preemptions++;
        waits++;
        cpuOf[actor] = -1;
        releasedAtNs[actor] = sim.nowNs();
        // Preempted by a thread placed on its CPU, it stays on that CPU's run queue (as Linux's would);
        // preempted by any other woken thread, it waits behind the runnable ones.
        (next == placed[c] ? yielded[c] : runnable).add(actor, runKind, sim.nowNs());
        handOff(c, next);
        return true;
    }

    /** The running thread {@code actor} gives up its CPU (it sleeps or ends); the next waiting one gets it. */
    public void release(int actor) {
        int c = held(actor);
        cpuOf[actor] = -1;
        releasedAtNs[actor] = sim.nowNs();
        if (placed[c] != null && !placed[c].isEmpty()) {
            handOff(c, placed[c]);
        } else if (yielded[c] != null && !yielded[c].isEmpty()) {
            handOff(c, yielded[c]);
        } else if (!woken.isEmpty()) {
            handOff(c, woken);
        } else if (!runnable.isEmpty()) {
            handOff(c, runnable);
        } else {
            // In a placement phase the waiting threads are cache-hot and stay where they were placed.
            boolean pull = everPlaced && (phases == null || !phases.placing(sim.nowNs()));
            WaitRing elsewhere = pull ? longestWaitingOnAnotherCpu() : null;
            if (elsewhere != null) {
                handOff(c, elsewhere); // the idle CPU pulls it: nothing else would ever run it here
            } else {
                account();
                freeCpus[free++] = c;
                if (pull) scheduleBalance();
            }
        }
    }

    /**
     * Of the threads waiting for one CPU in particular (placed on it, or yielded it), the queue of the
     * one that has waited longest, or null. A CPU about to go idle takes it (Linux's idle balance pulls
     * a waiting thread from a busy CPU's run queue), so no thread waits on a busy CPU while one is idle
     * at that moment.
     */
    private WaitRing longestWaitingOnAnotherCpu() {
        WaitRing best = null;
        for (int c = 0; c < cpus; c++) {
            if (placed[c] == null) continue;
            WaitRing q = !yielded[c].isEmpty() && (placed[c].isEmpty() || yielded[c].headSinceNs() < placed[c].headSinceNs())
                    ? yielded[c] : placed[c];
            if (!q.isEmpty() && !cacheHot(q.headActor()) && (best == null || q.headSinceNs() < best.headSinceNs())) best = q;
        }
        return best;
    }

    /**
     * A thread that gave up a CPU less than {@code ns} ago is cache-hot: a CPU about to go idle
     * does not pull it from the CPU it waits for, and goes idle instead (Linux's task_hot against
     * sysctl_sched_migration_cost, 0.5 ms by default). 0 (the default): every waiting thread is pulled.
     */
    public void protectCacheHot(long ns) {
        if (ns < 0) throw new IllegalArgumentException("a migration cost cannot be negative, got " + ns);
        this.migrationCostNs = ns;
        if (ns > 0 && balancer < 0) balancer = sim.register(kind -> balanceIdle());
    }

    /**
     * A CPU went idle while the threads waiting on other CPUs were cache-hot: when the first of them
     * cools, an idle CPU pulls it (Linux's idle balancing, which runs again while a CPU stays idle),
     * and so on while any CPU is idle and a thread waits on another.
     */
    private void balanceIdle() {
        balanceAtNs = Long.MAX_VALUE;
        if (free == 0 || !everPlaced || (phases != null && phases.placing(sim.nowNs()))) return;
        WaitRing q = longestWaitingOnAnotherCpu();
        if (q != null) {
            account();
            handOff(freeCpus[--free], q);
        }
        scheduleBalance();
    }

    /** With a CPU idle and a cache-hot thread waiting on another, a balance when the first one cools. */
    private void scheduleBalance() {
        if (balancer < 0 || free == 0) return;
        long at = Long.MAX_VALUE;
        for (int c = 0; c < cpus; c++) {
            if (placed[c] == null) continue;
            if (!placed[c].isEmpty()) at = Math.min(at, releasedAtNs[placed[c].headActor()] + migrationCostNs);
            if (!yielded[c].isEmpty()) at = Math.min(at, releasedAtNs[yielded[c].headActor()] + migrationCostNs);
        }
        if (at == Long.MAX_VALUE || at >= balanceAtNs) return;
        balanceAtNs = at;
        sim.schedule(Math.max(0, at - sim.nowNs()), balancer, 0);
    }

    private boolean cacheHot(int actor) {
        return migrationCostNs > 0 && actor < releasedAtNs.length && sim.nowNs() - releasedAtNs[actor] < migrationCostNs;
    }

    /** The CPU {@code actor} last held (holds now, or held before it slept), or -1. */
    public int lastCpuOf(int actor) {
        return actor < lastCpuOf.length ? lastCpuOf[actor] : -1;
    }

    /**
     * A thread that got a CPU runs on for {@code ns} before a woken thread preempts it ({@link
     * #runOnOrYield}): Linux's EEVDF scheduler (6.6 on) lets the running task reach the end of its
     * slice (RUN_TO_PARITY) before a woken one of equal weight takes the CPU, so a thread that runs
     * for microseconds between sleeps is not preempted; it is until then. 0 (the default): at once.
     */
    public void protectSlices(long ns) {
        if (ns < 0) throw new IllegalArgumentException("a slice cannot be negative, got " + ns);
        this.sliceNs = ns;
    }

    /**
     * Placement comes in {@code p}'s phases: while one lasts, a CPU about to go idle pulls no
     * thread waiting for another CPU (Linux's balancer leaves a cache-hot thread where it is), so
     * the threads placed on one CPU stay there; between them it does, as without phases.
     */
    public void placeInPhases(AffinePhases p) {
        this.phases = p;
    }

    private void take(int actor) {
        account();
        int c = freeCpus[--free];
        hold(actor, c);
    }

    private void handOff(int c, WaitRing queue) {
        int next = queue.headActor();
        waitNs += sim.nowNs() - queue.headSinceNs() + contextSwitchNs;
        hold(next, c);
        heldSinceNs[next] += contextSwitchNs; // it gets the CPU once the switch is done
        sim.schedule(contextSwitchNs, next, queue.headKind());
        queue.removeHead();
    }

    private void hold(int actor, int c) {
        if (actor >= cpuOf.length) {
            int from = cpuOf.length;
            cpuOf = java.util.Arrays.copyOf(cpuOf, Math.max(actor + 1, from * 2));
            java.util.Arrays.fill(cpuOf, from, cpuOf.length, -1);
        }
        if (cpuOf[actor] >= 0) throw new IllegalStateException("actor " + actor + " already holds CPU " + cpuOf[actor]);
        cpuOf[actor] = c;
        if (actor >= heldSinceNs.length) {
            int from = heldSinceNs.length;
            heldSinceNs = java.util.Arrays.copyOf(heldSinceNs, cpuOf.length);
            releasedAtNs = java.util.Arrays.copyOf(releasedAtNs, cpuOf.length);
            lastCpuOf = java.util.Arrays.copyOf(lastCpuOf, cpuOf.length);
            java.util.Arrays.fill(lastCpuOf, from, lastCpuOf.length, -1);
            java.util.Arrays.fill(releasedAtNs, from, releasedAtNs.length, Long.MIN_VALUE / 2);
        }
        heldSinceNs[actor] = sim.nowNs();
        lastCpuOf[actor] = c;
    }

    private int held(int actor) {
        int c = cpuOf(actor);
        if (c < 0) throw new IllegalStateException("actor " + actor + " holds no CPU");
        return c;
    }

    /** Threads waiting for CPU {@code c} in particular (placed on it, or yielded it to one placed on it). */
    public int waitingOn(int c) {
        return placed[c] == null ? 0 : placed[c].size() + yielded[c].size();
    }

    /** The CPU {@code actor} holds now, or -1. */
    public int cpuOf(int actor) {
        return actor < cpuOf.length ? cpuOf[actor] : -1;
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
