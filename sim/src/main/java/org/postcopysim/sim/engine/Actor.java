package org.postcopysim.sim.engine;

/**
 * A simulated party (a vCPU, a uffd reader, a network channel, the source): a state machine the
 * {@link Simulator} steps by delivering the events it scheduled for itself or that resources
 * scheduled for it. Runs on the simulator's one thread, at {@link Simulator#nowNs()}.
 */
public interface Actor {
    /** Handles an event of {@code kind} (the actor's own numbering) at the simulator's current time. */
    void onEvent(int kind);
}
