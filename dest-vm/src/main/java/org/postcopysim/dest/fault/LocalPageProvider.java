package org.postcopysim.dest.fault;

import java.nio.ByteBuffer;
import java.util.concurrent.locks.LockSupport;
import org.postcopysim.dest.fetch.PageInstaller;
import org.postcopysim.dest.kvm.Memslot;
import org.postcopysim.dest.vcpu.RunControl;
import org.postcopysim.memory.AtomicBitmap;
import org.postcopysim.memory.GuestMemory;

/**
 * Pages from local memory after an optional delay, like the handler of the kernel's
 * demand_paging_test: the resolving thread copies the page itself. At most one copy of a page is
 * fetched at a time; a second fault on it joins the first.
 */
public final class LocalPageProvider implements PageProvider {
    /** Delays up to this long are spun (a park would oversleep them by the timer slack). */
    static final long SPIN_DELAY_LIMIT_NS = 50_000;

    private final GuestMemory source;
    private final int[] sourceCrc32c;
    private final PageInstaller installer;
    private final long fetchDelayNs;
    private final AtomicBitmap inflight;
    private final RunControl control;
    private final ThreadLocal<GuestMemory.View> views;

    /**
     * @param source       the source's memory, by dense page index
     * @param sourceCrc32c CRC32C of each source page
     * @param fetchDelayNs how long each fetch takes before the copy (nanoseconds)
     */
    public LocalPageProvider(GuestMemory source, int[] sourceCrc32c, PageInstaller installer, long fetchDelayNs,
                             RunControl control) {
        this.source = source;
        this.sourceCrc32c = sourceCrc32c;
        this.installer = installer;
        this.fetchDelayNs = fetchDelayNs;
        this.inflight = new AtomicBitmap(source.pageCount());
        this.control = control;
        this.views = ThreadLocal.withInitial(source::newView);
    }

    @Override
    public int fetch(Memslot slot, long bit, long gfn, long pageIndex, PageInstaller.Context ctx) {
        if (installer.presence().isPresent(slot, bit, pageIndex)) return PRESENT;
        if (inflight.testAndSet(pageIndex)) return JOINED;
        try {
            if (installer.presence().isPresent(slot, bit, pageIndex)) return PRESENT;
            delay();
            ByteBuffer page = views.get().page(pageIndex);
            switch (installer.install(ctx, gfn, sourceCrc32c[(int) pageIndex], page)) {
                case PageInstaller.INSTALLED:
                    return INSTALLED;
                case PageInstaller.ALREADY_PRESENT:
                    return PRESENT;
                case PageInstaller.BUSY:
                    return JOINED;
                default:
                    control.fail(String.format("local page gfn 0x%x could not be installed", gfn));
                    return FAILED;
            }
        } finally {
            inflight.clear(pageIndex);
        }
    }

    private void delay() {
        if (fetchDelayNs <= 0) return;
        long until = System.nanoTime() + fetchDelayNs;
        if (fetchDelayNs > SPIN_DELAY_LIMIT_NS) {
            LockSupport.parkNanos(this, fetchDelayNs);
        }
        while (System.nanoTime() < until) Thread.onSpinWait();
    }
}
