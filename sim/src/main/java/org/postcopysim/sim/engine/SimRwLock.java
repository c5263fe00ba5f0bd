package org.postcopysim.sim.engine;

/**
 * A simulated fair read-write spinlock (KVM's {@code mmu_lock}, an rwlock on x86 with the TDP
 * MMU): any number of readers hold it at once, a writer alone; FIFO, so a waiting writer stops
 * later readers from jumping ahead of it (a queued rwlock), and when a writer releases, the
 * readers queued behind it until the next writer all get it together. Costs as {@link SimLock}:
 * an uncontended acquire, a hand-off when a release passes it to waiters. A waiter spins (keeps
 * its simulated CPU). The holders' hold times are theirs to charge. Counts acquisitions,
 * contended ones and time spent waiting, per side.
 */
public final class SimRwLock {
    /** Kind bit marking a queued writer (kinds are the actors' own small numbers). */
    private static final int WRITE_BIT = 1 << 30;

    private final Simulator sim;
    private final String name;
    private final long acquireNs;
    private final long handoffNs;
    private final WaitRing waiters;
    private int readers;
    private boolean writer;
    private long readAcquisitions;
    private long writeAcquisitions;
    private long contended;
    private long waitNs;

    public SimRwLock(Simulator sim, String name, long acquireNs, long handoffNs, int maxWaiters) {
        this.sim = sim;
        this.name = name;
        this.acquireNs = acquireNs;
        this.handoffNs = handoffNs;
        this.waiters = new WaitRing(Math.max(1, maxWaiters));
    }

    /** Actor {@code actor} wants the read side: {@code grantedKind} is delivered once it holds it. */
    public void acquireRead(int actor, int grantedKind) {
        if ((grantedKind & WRITE_BIT) != 0) throw new IllegalArgumentException("event kind too large: " + grantedKind);
        readAcquisitions++;
        if (!writer && waiters.isEmpty()) {
            readers++;
            sim.schedule(acquireNs, actor, grantedKind);
        } else {
            contended++;
            waiters.add(actor, grantedKind, sim.nowNs());
        }
    }

    /** Actor {@code actor} wants the write side: {@code grantedKind} is delivered once it holds it alone. */
    public void acquireWrite(int actor, int grantedKind) {
        if ((grantedKind & WRITE_BIT) != 0) throw new IllegalArgumentException("event kind too large: " + grantedKind);
        writeAcquisitions++;
        if (!writer && readers == 0 && waiters.isEmpty()) {
            writer = true;
            sim.schedule(acquireNs, actor, grantedKind);
        } else {
            contended++;
            waiters.add(actor, grantedKind | WRITE_BIT, sim.nowNs());
        }
    }

    /** A reader releases. */
    public void releaseRead() {
        if (readers == 0) throw new IllegalStateException(name + ": read side released while no reader holds it");
        readers--;
        if (readers == 0) grantWaiters();
    }

    /** The writer releases. */
    public void releaseWrite() {
        if (!writer) throw new IllegalStateException(name + ": write side released while no writer holds it");
        writer = false;
        grantWaiters();
    }

    private void grantWaiters() {
        if (waiters.isEmpty()) return;
        if ((waiters.headKind() & WRITE_BIT) != 0) {
            if (readers > 0) return;
            writer = true;
            grantHead(waiters.headKind() & ~WRITE_BIT);
            return;
        }
        while (!waiters.isEmpty() && (waiters.headKind() & WRITE_BIT) == 0) {
            readers++;
            grantHead(waiters.headKind());
        }
    }

    private void grantHead(int kind) {
        waitNs += sim.nowNs() - waiters.headSinceNs() + handoffNs;
        sim.schedule(handoffNs, waiters.headActor(), kind);
        waiters.removeHead();
    }

    public String name() {
        return name;
    }

    /** Readers holding it now. */
    public int readers() {
        return readers;
    }

    public boolean isWriteHeld() {
        return writer;
    }

    public long readAcquisitions() {
        return readAcquisitions;
    }

    public long writeAcquisitions() {
        return writeAcquisitions;
    }

    /** Acquisitions (either side) that found it unavailable and waited. */
    public long contended() {
        return contended;
    }

    /** Total time acquirers waited (ns). */
    public long waitNs() {
        return waitNs;
    }
}
