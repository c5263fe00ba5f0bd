package org.postcopysim.dest.uffd;

/**
 * Receives each waiter a {@link Userfaultfd} wake removes from its queues: the runner unparks
 * the thread (or resumes the simulated vCPU) with that id. Implement it once and pass the same
 * instance to every call, so a wake allocates nothing.
 *
 * <p>Called during the wake walk, under whatever lock the runner holds around the uffd: it must
 * not call back into the same {@link Userfaultfd} (that throws {@link IllegalStateException});
 * schedule the retry instead.
 */
@FunctionalInterface
public interface WakeSink {
    /** Waiter {@code waiterId} was woken: its fault may have been resolved; it retries its access. */
    void wake(int waiterId);

    /** A sink that does nothing (tests, or a wake whose waiters the caller finds otherwise). */
    WakeSink NONE = waiterId -> { };
}
