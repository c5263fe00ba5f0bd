package org.postcopysim.dest.fault;

/**
 * UFFDIO_COPY of a page whose contents are in place, as the runner performs it: the thread runner
 * takes the uffd's lock around {@link UffdPaths#copy}; the simulator calls it while its simulated
 * actor holds the simulated lock. The installer reaches it through the fault mode's presence.
 */
@FunctionalInterface
public interface UffdCopier {
    /** Maps the page and wakes its waiters; false on EEXIST (it was mapped already). */
    boolean copy(long pageIndex);
}
