package org.postcopysim.dest.threads;

import java.util.function.Supplier;
import org.postcopysim.dest.fault.PageProvider;
import org.postcopysim.dest.fault.UffdCopier;
import org.postcopysim.dest.fetch.PageInstaller;

/**
 * How the thread runner meets a userfaultfd: where a vCPU thread sleeps on a uffd fault, who
 * reads the uffd and resolves its faults, and what the UFFDIO_COPY of an install does. The model
 * itself ({@link org.postcopysim.dest.fault.UffdPaths}) is the same for every implementation:
 * {@link UffdThreads} runs it with the model's wait queues (monitors, parked threads);
 * the kernel backend ({@code org.postcopysim.kernel.KernelUffdRunner}) with a real userfaultfd,
 * whose wait queue the vCPU threads sleep in.
 */
public interface UffdRunner extends UffdCopier {
    /** Records the thread that faults as waiter {@code id} (a vCPU). */
    void bindWaiter(int id, Thread thread);

    /**
     * The calling thread, waiter {@code waiter}, faulted in the host on page {@code pageIndex} of
     * uffd {@code u}: wait until the page is mapped. Returns false when the run stopped meanwhile.
     */
    boolean sleepOnFault(int u, int waiter, long pageIndex, boolean write, RunControl control);

    /** Starts the reader threads; each resolves the faults it reads through {@code provider}. */
    void startReaders(PageProvider provider, Supplier<PageInstaller.Context> contexts, RunControl control);

    /** Stops the readers and wakes every sleeper (call with the run's stop requested). */
    void stop();
}
