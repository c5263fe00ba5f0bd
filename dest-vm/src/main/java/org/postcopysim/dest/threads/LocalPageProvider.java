package org.postcopysim.dest.threads;

import org.postcopysim.dest.fault.LocalPages;
import org.postcopysim.dest.fault.PageProvider;
import org.postcopysim.dest.fetch.PageBytes;
import org.postcopysim.dest.fetch.PageInstaller;
import org.postcopysim.dest.kvm.Memslot;
import org.postcopysim.memory.GuestMemory;
import org.postcopysim.time.NanoClock;

/**
 * The thread runner of {@link LocalPages}: the resolving thread begins the fetch, waits out the
 * fetch delay in real time (spinning, or parking for long delays), and installs the page itself,
 * like the handler of the kernel's demand_paging_test.
 */
public final class LocalPageProvider implements PageProvider {
    private final LocalPages pages;
    private final long fetchDelayNs;
    private final NanoClock clock;
    private final RunControl control;
    private final ThreadLocal<GuestMemory.View> views;
    private final ThreadLocal<PageBytes.OfByteBuffer> cursors = ThreadLocal.withInitial(PageBytes.OfByteBuffer::new);

    /**
     * @param source       the source's memory, by dense page index
     * @param fetchDelayNs how long each fetch takes before the copy (nanoseconds)
     */
    public LocalPageProvider(LocalPages pages, GuestMemory source, long fetchDelayNs, NanoClock clock, RunControl control) {
        this.pages = pages;
        this.fetchDelayNs = fetchDelayNs;
        this.clock = clock;
        this.control = control;
        this.views = ThreadLocal.withInitial(source::newView);
    }

    @Override
    public int fetch(Memslot slot, long bit, long gfn, long pageIndex, PageInstaller.Context ctx) {
        int begun = pages.begin(slot, bit, pageIndex);
        if (begun != REQUESTED) return begun;
        FetchDelay.await(fetchDelayNs, clock, this);
        int r = pages.complete(ctx, views.get(), cursors.get(), gfn, pageIndex);
        if (r == FAILED) control.fail(String.format("local page gfn 0x%x could not be installed", gfn));
        return r;
    }
}
