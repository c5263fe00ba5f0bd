package org.postcopysim.sim.dest;

import java.util.Arrays;

/** A growable list of ints that reuses its array: scratch space for the ids a step woke. */
final class IntList {
    private int[] items = new int[16];
    private int size;

    void add(int v) {
        if (size == items.length) items = Arrays.copyOf(items, size * 2);
        items[size++] = v;
    }

    int size() {
        return size;
    }

    void set(int i, int v) {
        if (i >= size) throw new IndexOutOfBoundsException(i + " of " + size);
        items[i] = v;
    }

    int get(int i) {
        return items[i];
    }

    void clear() {
        size = 0;
    }
}
