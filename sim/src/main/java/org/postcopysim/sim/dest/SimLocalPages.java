package org.postcopysim.sim.dest;

import org.postcopysim.dest.fault.LocalPages;
import org.postcopysim.dest.fault.PageProvider;
import org.postcopysim.dest.fetch.PageBytes;
import org.postcopysim.dest.fetch.PageInstaller;
import org.postcopysim.dest.kvm.Memslot;
import org.postcopysim.memory.GuestMemory;

/**
 * The simulator's driver of {@link LocalPages}: a fault that begins a fetch makes its caller the
 * page's fetcher (a job the calling actor then performs in virtual time: the delay, the copy, the
 * install), instead of doing it inside the call as the thread runner does. One simulator thread:
 * the caller takes the job right after its call.
 */
public final class SimLocalPages implements PageProvider {
    private final LocalPages pages;
    private final GuestMemory.View source;
    private final PageBytes.OfByteBuffer cursor = new PageBytes.OfByteBuffer();
    private boolean job;
    private long jobGfn;
    private long jobPageIndex;

    /** @param source a view of the source's memory, or null when contents are elided */
    public SimLocalPages(LocalPages pages, GuestMemory.View source) {
        this.pages = pages;
        this.source = source;
    }

    @Override
    public int fetch(Memslot slot, long bit, long gfn, long pageIndex, PageInstaller.Context ctx) {
        int r = pages.begin(slot, bit, pageIndex);
        job = r == REQUESTED;
        if (job) {
            jobGfn = gfn;
            jobPageIndex = pageIndex;
        }
        return r;
    }

    /** Whether the last fetch made the caller the fetcher; clears it. */
    boolean takeJob() {
        boolean j = job;
        job = false;
        return j;
    }

    long jobGfn() {
        return jobGfn;
    }

    long jobPageIndex() {
        return jobPageIndex;
    }

    /** Installs a taken job's page; a {@link PageProvider} code. */
    int complete(PageInstaller.Context ctx, long gfn, long pageIndex) {
        return pages.complete(ctx, source, cursor, gfn, pageIndex);
    }
}
