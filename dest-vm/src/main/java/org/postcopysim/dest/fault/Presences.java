package org.postcopysim.dest.fault;

import org.postcopysim.dest.fetch.FaultMode;
import org.postcopysim.dest.fetch.PagePresence;
import org.postcopysim.dest.kvm.HostPageTable;
import org.postcopysim.dest.kvm.Memslot;
import org.postcopysim.dest.kvm.Vm;

/** The {@link PagePresence} of each fault mode. */
public final class Presences {
    private Presences() {}

    /**
     * @param host the host page tables (ignored in KVM Userfault mode, where every page is host-mapped)
     * @param uffd how the runner performs UFFDIO_COPY, serialized with the uffd's other calls (uffd
     *             modes only; null otherwise)
     */
    public static PagePresence forMode(FaultMode mode, HostPageTable host, UffdCopier uffd) {
        switch (mode) {
            case KVM_USERFAULT:
                return PagePresence.USERFAULT_BITMAP;
            case EXIT_ON_MISSING:
            case NONE:
                // EXIT_ON_MISSING: UFFDIO_COPY in DONTWAKE mode, nobody sleeps on the page.
                // NONE: the host kernel maps the page it allocated.
                return new HostMapped(host) {
                    @Override
                    public boolean makePresent(Memslot slot, long bit, long pageIndex) {
                        return host.map(pageIndex);
                    }
                };
            case UFFD:
                // UFFDIO_COPY: map, then wake the page's waiters (every sleeper is visited).
                return new HostMapped(host) {
                    @Override
                    public boolean makePresent(Memslot slot, long bit, long pageIndex) {
                        return uffd.copy(pageIndex);
                    }
                };
            case UFFD_KVM_USERFAULT:
                // Map (waking internal accesses asleep on the uffd), then clear the bit for vCPUs.
                // A private page is mapped too: its shared backing page stays unused by stage-2
                // (private faults never look at the host page tables), but the copy is what wakes.
                return new PagePresence() {
                    @Override
                    public boolean isPresent(Memslot slot, long bit, long pageIndex) {
                        return !slot.userfaultBitmap().isSet(bit);
                    }

                    @Override
                    public boolean makePresent(Memslot slot, long bit, long pageIndex) {
                        boolean mapped = uffd.copy(pageIndex);
                        boolean cleared = slot.userfaultBitmap().clear(bit);
                        return mapped || cleared;
                    }

                    @Override
                    public void makeMissing(Vm vm, Memslot slot, long bit, long gfn) {
                        vm.discard(gfn, true, true); // the bit for vCPUs, and a none PTE for the uffd
                    }
                };
            default:
                throw new IllegalArgumentException("unknown fault mode " + mode);
        }
    }

    /**
     * Present when the host has the page: mapped, or swapped out (userfaultfd MISSING
     * registration: only a none PTE is missing). A page the host reclaimed arrived already; a
     * fault brings it back from swap, never from the network (kernel-background.md §6).
     */
    private abstract static class HostMapped implements PagePresence {
        private final HostPageTable host;

        HostMapped(HostPageTable host) {
            this.host = host;
        }

        @Override
        public boolean isPresent(Memslot slot, long bit, long pageIndex) {
            return host.hasContents(pageIndex);
        }

        @Override
        public void makeMissing(Vm vm, Memslot slot, long bit, long gfn) {
            vm.discard(gfn, false, true); // MADV_DONTNEED: the PTE is none again
        }
    }
}
