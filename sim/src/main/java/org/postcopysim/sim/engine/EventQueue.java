package org.postcopysim.sim.engine;

/**
 * The simulator's pending events, ordered by (virtual time, sequence number): a 4-ary min-heap
 * over parallel primitive arrays (shallower than a binary one: most events are due soon and sift
 * far up), so scheduling and popping allocate nothing. The sequence number
 * makes the order total and deterministic: two events at the same time run in the order they
 * were scheduled. Bounded: scheduling past {@link #capacity()} is a simulator bug (an actor that
 * schedules without bound) and fails loudly.
 */
final class EventQueue {
    private final long[] timeNs;
    private final long[] seq;
    private final int[] actor;
    private final int[] kind;
    private int size;

    EventQueue(int capacity) {
        if (capacity < 1) throw new IllegalArgumentException("event queue capacity must be positive: " + capacity);
        timeNs = new long[capacity];
        seq = new long[capacity];
        actor = new int[capacity];
        kind = new int[capacity];
    }

    int capacity() {
        return timeNs.length;
    }

    int size() {
        return size;
    }

    boolean isEmpty() {
        return size == 0;
    }

    void add(long atNs, long sequence, int actorId, int eventKind) {
        if (size == timeNs.length) {
            throw new IllegalStateException("event queue full (" + timeNs.length + " events pending): an actor schedules without bound");
        }
        int i = size++;
        while (i > 0) {
            int parent = (i - 1) >>> 2;
            if (!before(atNs, sequence, timeNs[parent], seq[parent])) break;
            move(parent, i);
            i = parent;
        }
        set(i, atNs, sequence, actorId, eventKind);
    }

    /** Time of the earliest event (call only when not empty). */
    long peekTimeNs() {
        return timeNs[0];
    }

    long peekSeq() {
        return seq[0];
    }

    int peekActor() {
        return actor[0];
    }

    int peekKind() {
        return kind[0];
    }

    /** Removes the earliest event (read it with the peek methods first). */
    void removeFirst() {
        int last = --size;
        if (last == 0) return;
        long t = timeNs[last];
        long s = seq[last];
        int a = actor[last];
        int k = kind[last];
        int i = 0;
        while (true) {
            int first = 4 * i + 1;
            if (first >= last) break;
            int child = first;
            int end = Math.min(first + 4, last);
            for (int c = first + 1; c < end; c++) {
                if (before(timeNs[c], seq[c], timeNs[child], seq[child])) child = c;
            }
            if (!before(timeNs[child], seq[child], t, s)) break;
            move(child, i);
            i = child;
        }
        set(i, t, s, a, k);
    }

    private static boolean before(long t1, long s1, long t2, long s2) {
        return t1 < t2 || (t1 == t2 && s1 < s2);
    }

    private void move(int from, int to) {
        timeNs[to] = timeNs[from];
        seq[to] = seq[from];
        actor[to] = actor[from];
        kind[to] = kind[from];
    }

    private void set(int i, long t, long s, int a, int k) {
        timeNs[i] = t;
        seq[i] = s;
        actor[i] = a;
        kind[i] = k;
    }
}
