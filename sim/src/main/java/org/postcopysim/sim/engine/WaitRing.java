package org.postcopysim.sim.engine;

/**
 * A FIFO of waiting actors (actor id, the event kind to deliver when served, the time it began
 * waiting), in primitive arrays: the queue of a simulated lock or CPU pool. Bounded by its
 * capacity, which is the number of actors that may wait at once.
 */
final class WaitRing {
    private final int[] actor;
    private final int[] kind;
    private final long[] sinceNs;
    private int head;
    private int size;

    WaitRing(int capacity) {
        actor = new int[capacity];
        kind = new int[capacity];
        sinceNs = new long[capacity];
    }

    boolean isEmpty() {
        return size == 0;
    }

    int size() {
        return size;
    }

    void add(int actorId, int eventKind, long nowNs) {
        if (size == actor.length) throw new IllegalStateException("wait queue full: " + size + " actors waiting");
        int i = head + size;
        if (i >= actor.length) i -= actor.length;
        actor[i] = actorId;
        kind[i] = eventKind;
        sinceNs[i] = nowNs;
        size++;
    }

    int headActor() {
        return actor[head];
    }

    int headKind() {
        return kind[head];
    }

    long headSinceNs() {
        return sinceNs[head];
    }

    void removeHead() {
        head = head + 1 == actor.length ? 0 : head + 1;
        size--;
    }
}
