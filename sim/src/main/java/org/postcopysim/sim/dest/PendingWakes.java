package org.postcopysim.sim.dest;

/**
 * The vCPU threads one actor's step woke, held by that actor until it wakes them (after its lock
 * hold, at its unlock), each with where it is placed: the actor whose CPU it waits for
 * ({@code wake-affine}), or -1. Each actor has its own, so that two actors whose holds overlap (two
 * readers of two uffds, each under its own lock) wake only the threads of their own walks.
 * Reuses its arrays: nothing is allocated per wake once grown.
 */
public final class PendingWakes {
    final IntList vcpus = new IntList();
    final IntList placedWith = new IntList();

    int size() {
        return vcpus.size();
    }

    void clear() {
        vcpus.clear();
        placedWith.clear();
    }
}
