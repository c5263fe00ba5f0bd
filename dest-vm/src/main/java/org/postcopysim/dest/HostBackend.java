package org.postcopysim.dest;

import org.postcopysim.dest.fault.UffdPaths;
import org.postcopysim.dest.fetch.PageInstaller;
import org.postcopysim.dest.threads.UffdRunner;
import org.postcopysim.dest.threads.UffdThreads;
import org.postcopysim.memory.GuestLayout;
import org.postcopysim.memory.GuestMemory;

/**
 * What backs a destination's guest memory and takes its userfaultfd faults: the seam between
 * one migration ({@link DestVm}, the one model of KVM and its fault paths, the network) and the
 * host underneath. {@link #MODEL} is the simulated host: guest memory a tmpfs file written in
 * place by the installer, and the model's userfaultfd wait queues ({@link UffdThreads}). The
 * kernel backend (module kernel-uffd) puts guest memory in an anonymous mapping registered with a
 * real userfaultfd: installs are staged, verified and then copied in by {@code UFFDIO_COPY}, and
 * vCPU threads sleep in the kernel's wait queue.
 */
public interface HostBackend {
    /** The simulated host: the default. */
    HostBackend MODEL = new ModelBackend();

    /** The name on the command line and in the summary: "model" or "kernel". */
    String name();

    /**
     * Null when this backend can run {@code config}, else why not in one line naming the option
     * (a migration refused this way fails at once, before it connects).
     */
    String refusal(DestConfig config);

    /**
     * One run's guest memory for {@code layout}, every page missing.
     *
     * @throws IllegalStateException when the host cannot provide it (the message says why, in one line)
     */
    Guest open(GuestLayout layout);

    /** One run's guest memory and how installs and uffd faults reach it. Closed after every thread using it has stopped. */
    interface Guest extends AutoCloseable {
        /** Guest memory, for reads and writes of present pages and for the completion digest. */
        GuestMemory memory();

        /** A new install context for one installing thread. */
        PageInstaller.Context newContext();

        /** The uffd runner of the model's uffd paths for {@code waiters} waiter ids (uffd modes; called once). */
        UffdRunner uffdRunner(UffdPaths paths, int waiters);

        /**
         * The summary's userfaultfd counts, read once the run has stopped; null to report the
         * model's own (the model backend).
         */
        MigrationSummary.UffdStats uffdStats();

        @Override
        void close();
    }
}
