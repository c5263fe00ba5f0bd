package org.postcopysim.sim.engine;

/**
 * A simulated spinlock (the wait queues' {@code spin_lock_irq}, the host mm's locks): FIFO, with
 * an uncontended acquire cost and a hand-off cost when the holder releases to a waiter (the lock's
 * cache line moving to the next CPU; the more CPUs spin on it, the longer). A waiter spins: it keeps its simulated CPU while it waits
 * (the caller does not release the CPU). The holder's own hold time is the holder's to charge
 * (it schedules its release). Counts acquisitions, contended ones, and time spent waiting.
 */
public final class SimLock {
    private final Simulator sim;
    private final String name;
    private final long acquireNs;
    private final long handoffNs;
    private final long handoffPerSpinnerNs;
    private final long handoffMaxNs;
    private final WaitRing waiters;
    private boolean held;
    private long acquisitions;
    private long contended;
    private long waitNs;

    /**
     * @param acquireNs  cost of an uncontended acquire (ns)
     * @param handoffNs  delay from a release to the next waiter holding the lock (ns)
     * @param handoffPerSpinnerNs extra hand-off delay per further waiter still spinning (ns)
     * @param handoffMaxNs the most a hand-off takes, however many spin (ns)
     * @param maxWaiters actors that may wait at once
     */
    public SimLock(Simulator sim, String name, long acquireNs, long handoffNs, long handoffPerSpinnerNs, long handoffMaxNs,
                   int maxWaiters) {
        this.handoffMaxNs = Math.max(handoffNs, handoffMaxNs);
        this.sim = sim;
        this.name = name;
        this.acquireNs = acquireNs;
        this.handoffNs = handoffNs;
        this.handoffPerSpinnerNs = handoffPerSpinnerNs;
        this.waiters = new WaitRing(Math.max(1, maxWaiters));
    }

    /** Actor {@code actor} wants the lock: {@code grantedKind} is delivered to it once it holds it. */
    public void acquire(int actor, int grantedKind) {
        acquisitions++;
        if (!held) {
            held = true;
            sim.schedule(acquireNs, actor, grantedKind);
        } else {
            contended++;
            waiters.add(actor, grantedKind, sim.nowNs());
        }
    }

    /** The holder releases the lock: the longest waiter gets it after the hand-off. */
    public void release() {
        if (!held) throw new IllegalStateException(name + " released while free");
        if (waiters.isEmpty()) {
            held = false;
            return;
        }
        long handoff = Math.min(handoffMaxNs, handoffNs + handoffPerSpinnerNs * (waiters.size() - 1));
        waitNs += sim.nowNs() - waiters.headSinceNs() + handoff;
        sim.schedule(handoff, waiters.headActor(), waiters.headKind());
        waiters.removeHead();
    }

    public String name() {
        return name;
    }

    public boolean isHeld() {
        return held;
    }

    public long acquisitions() {
        return acquisitions;
    }

    /** Acquisitions that found the lock held and waited. */
    public long contended() {
        return contended;
    }

    /** Total time acquirers waited for the lock (ns). */
    public long waitNs() {
        return waitNs;
    }
}
