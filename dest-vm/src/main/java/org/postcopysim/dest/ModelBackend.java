package org.postcopysim.dest;

import org.postcopysim.dest.fault.UffdPaths;
import org.postcopysim.dest.fetch.PageInstaller;
import org.postcopysim.dest.threads.UffdRunner;
import org.postcopysim.dest.threads.UffdThreads;
import org.postcopysim.memory.GuestLayout;
import org.postcopysim.memory.GuestMemory;

/** {@link HostBackend#MODEL}: guest memory in a tmpfs file, backed up front; the model's uffd wait queues. */
final class ModelBackend implements HostBackend {
    @Override
    public String name() {
        return "model";
    }

    @Override
    public String refusal(DestConfig config) {
        return null;
    }

    @Override
    public Guest open(GuestLayout layout) {
        GuestMemory memory;
        try {
            memory = GuestMemory.allocate(layout.totalPages());
        } catch (RuntimeException e) { // no room: a layout larger than this host can back
            throw new IllegalStateException(e.getMessage(), e);
        }
        // Back every page now (as a VMM with preallocated memory would), so installs copy
        // into ready memory instead of paying the kernel's page allocation and zeroing.
        memory.prefault(Math.max(1, Math.min(4, Runtime.getRuntime().availableProcessors())));
        return new Guest() {
            @Override
            public GuestMemory memory() {
                return memory;
            }

            @Override
            public PageInstaller.Context newContext() {
                return new PageInstaller.Context(memory);
            }

            @Override
            public UffdRunner uffdRunner(UffdPaths paths, int waiters) {
                return new UffdThreads(paths, waiters);
            }

            @Override
            public MigrationSummary.UffdStats uffdStats() {
                return null;
            }

            @Override
            public void close() {
                memory.close();
            }
        };
    }
}
