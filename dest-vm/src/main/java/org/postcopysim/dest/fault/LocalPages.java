package org.postcopysim.dest.fault;

import org.postcopysim.dest.fetch.InflightPages;
import org.postcopysim.dest.fetch.PageBytes;
import org.postcopysim.dest.fetch.PageInstaller;
import org.postcopysim.dest.kvm.Memslot;
import org.postcopysim.memory.GuestMemory;

/**
 * Pages from local memory, as the handler of the kernel's demand_paging_test gets them: the
 * resolving party copies the page itself, after an optional delay that stands for the fetch.
 * A fetch has two steps so that any runner can put the delay between them: {@link #begin} (at
 * most one fetch per page; a second fault joins the first, see {@link InflightPages}) and
 * {@link #complete} (install the source's copy, end the fetch). The thread runner spins or parks
 * for the delay ({@code LocalPageProvider}); the simulator lets virtual time pass. No clock, no
 * thread, no lock; allocation-free.
 */
public final class LocalPages {
    private final int[] sourceCrc32c;
    private final PageInstaller installer;
    private final InflightPages inflight;

    /**
     * @param sourceCrc32c CRC32C of each source page by dense page index, or null when contents
     *                     are elided (the simulator's large guests: pages are installed without bytes)
     */
    public LocalPages(long totalPages, int[] sourceCrc32c, PageInstaller installer) {
        this.sourceCrc32c = sourceCrc32c;
        this.installer = installer;
        this.inflight = new InflightPages(totalPages, installer.presence(), installer.arrivedPages());
    }

    /** Local fetches begun for pages that had arrived already: must stay 0 (see {@link InflightPages}). */
    public long refetchedArrivedPages() {
        return inflight.refetchedArrivedPages();
    }

    /**
     * A fault on the page: {@link PageProvider#PRESENT}, {@link PageProvider#JOINED}, or
     * {@link PageProvider#REQUESTED} when the caller now owns the fetch and must
     * {@link #complete} it (after the delay).
     */
    public int begin(Memslot slot, long bit, long pageIndex) {
        switch (inflight.begin(slot, bit, pageIndex)) {
            case InflightPages.JOINED:
                return PageProvider.JOINED;
            case InflightPages.PRESENT:
                return PageProvider.PRESENT;
            default:
                return PageProvider.REQUESTED;
        }
    }

    /**
     * Installs the source's copy of page {@code gfn} (dense {@code pageIndex}) and ends its
     * fetch. Returns {@link PageProvider#INSTALLED}, {@link PageProvider#PRESENT} (someone else
     * installed it), {@link PageProvider#JOINED} (another copy is being installed right now) or
     * {@link PageProvider#FAILED} (it could not be installed: a bug, since local copies are intact).
     *
     * @param source    a view of the source's memory for this thread, or null when contents are elided
     * @param pageBytes this thread's reusable page cursor (ignored when {@code source} is null)
     */
    public int complete(PageInstaller.Context ctx, GuestMemory.View source, PageBytes.OfByteBuffer pageBytes,
                        long gfn, long pageIndex) {
        try {
            int r = source == null ? installer.installElided(ctx, gfn)
                    : installer.install(ctx, gfn, sourceCrc32c[(int) pageIndex], pageBytes.of(source.page(pageIndex)));
            switch (r) {
                case PageInstaller.INSTALLED:
                    return PageProvider.INSTALLED;
                case PageInstaller.ALREADY_PRESENT:
                    return PageProvider.PRESENT;
                case PageInstaller.BUSY:
                    return PageProvider.JOINED;
                default:
                    return PageProvider.FAILED;
            }
        } finally {
            inflight.end(pageIndex);
        }
    }
}
