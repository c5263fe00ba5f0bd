package org.postcopysim.dest.fetch;

import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicLong;
import java.util.zip.CRC32C;
import org.postcopysim.dest.kvm.HostEvent;
import org.postcopysim.dest.kvm.Memslot;
import org.postcopysim.dest.kvm.Vm;
import org.postcopysim.memory.AtomicBitmap;
import org.postcopysim.memory.GuestLayout;
import org.postcopysim.memory.GuestMemory;
import org.postcopysim.memory.PageContents;

/**
 * Installs arriving pages with the fetcher's central invariant: <b>fill, verify, and only then
 * make the page present</b> (clear the userfault bit with release ordering, or map it in the
 * host page tables: see {@link PagePresence}). A vCPU that sees the page present therefore sees
 * its contents; a page whose CRC32C does not match is never made visible.
 *
 * <p>Each page has an install claim bit, so two copies of one page (a demand answer racing the
 * background stream) never write the page at the same time; the bit is re-checked under the
 * claim, so a copy arriving after the page is present is dropped without touching memory
 * (userfaultfd's EEXIST case). Allocation-free; callable from any thread with its own
 * {@link Context}.
 */
public final class PageInstaller {
    /** The page was written, verified and made present. */
    public static final int INSTALLED = 0;
    /** The page was present already: nothing written (EEXIST). */
    public static final int ALREADY_PRESENT = 1;
    /** Another copy of the page is being installed right now: this copy is dropped. */
    public static final int BUSY = 2;
    /** The copy's CRC32C did not match its contents: the page stays missing. */
    public static final int BAD_CHECKSUM = 3;
    /** The gfn lies in no memslot. */
    public static final int OUT_OF_RANGE = 4;
    /** The contents are not exactly one page. */
    public static final int BAD_LENGTH = 5;

    /** Told of every page made present, on the installing thread, after its bit is clear. */
    @FunctionalInterface
    public interface Listener {
        void onInstalled(long pageIndex, long gfn, boolean lastPage);
    }

    /** One installing thread's scratch state: its memory view and checksum engine. */
    public static final class Context {
        final GuestMemory.View view;
        final CRC32C crc = new CRC32C();

        public Context(GuestMemory memory) {
            this.view = memory.newView();
        }
    }

    private final Vm vm;
    private final PagePresence presence;
    private final AtomicBitmap claims;
    /** Pages installed at least once (never cleared): "arrived", whatever the host did to them since. */
    private final AtomicBitmap arrived;
    private final AtomicLong presentPages = new AtomicLong();
    private final long totalPages;
    private final Listener listener;

    /** An installer for the KVM Userfault mode (present = userfault bit clear). */
    public PageInstaller(Vm vm, Listener listener) {
        this(vm, PagePresence.USERFAULT_BITMAP, listener);
    }

    public PageInstaller(Vm vm, PagePresence presence, Listener listener) {
        this.vm = vm;
        this.presence = presence;
        this.totalPages = vm.layout().totalPages();
        this.claims = new AtomicBitmap(totalPages);
        this.arrived = new AtomicBitmap(totalPages);
        this.listener = listener;
    }

    /**
     * The pages that arrived (installed at least once, or made present by a conversion), by dense
     * page index: read it, never write it. A page that arrived stays arrived when the host
     * reclaims it or KVM zaps it: it is absent then, not missing.
     */
    public AtomicBitmap arrivedPages() {
        return arrived;
    }

    /** Whether page {@code pageIndex} arrived. */
    public boolean hasArrived(long pageIndex) {
        return arrived.get(pageIndex);
    }

    /** Pages present so far. */
    public long presentPages() {
        return presentPages.get();
    }

    public long totalPages() {
        return totalPages;
    }

    /** What present means for this installer's fault mode. */
    public PagePresence presence() {
        return presence;
    }

    /** Dense page index of {@code gfn}, or -1 outside every memslot. */
    public long pageIndexOf(long gfn) {
        return vm.layout().pageIndexOfGfn(gfn);
    }

    /**
     * Installs one page of bytes from {@code src} as page {@code gfn}, whose sender computed
     * {@code expectedCrc32c}. Returns one of the result codes of this class ({@link #BAD_LENGTH}
     * is for callers that check a received length first).
     */
    public int install(Context ctx, long gfn, int expectedCrc32c, PageBytes src) {
        return install(ctx, gfn, expectedCrc32c, src, false);
    }

    /**
     * Installs page {@code gfn} with its contents elided: the same claim, re-check, make-present
     * and listener as {@link #install(Context, long, int, PageBytes)}, but no bytes are copied or
     * checked, since there are none. For the virtual-time simulator's large guests, whose memory
     * is state only (bitmaps and tables, no contents); {@code ctx} may be null there.
     */
    public int installElided(Context ctx, long gfn) {
        return install(ctx, gfn, 0, null, true);
    }

    private int install(Context ctx, long gfn, int expectedCrc32c, PageBytes src, boolean elided) {
        Memslot slot = vm.memslotOfGfn(gfn);
        if (slot == null) return OUT_OF_RANGE;
        long bit = slot.indexOf(gfn);
        long pageIndex = slot.firstPageIndex() + bit;
        if (presence.isPresent(slot, bit, pageIndex)) return ALREADY_PRESENT;
        if (claims.testAndSet(pageIndex)) return BUSY;
        try {
            if (presence.isPresent(slot, bit, pageIndex)) return ALREADY_PRESENT;
            if (!elided) {
                ByteBuffer page = ctx.view.page(pageIndex);
                int start = page.position();
                src.copyTo(page);
                page.position(start);
                // Verify the installed copy itself: catches damage in flight and in the copy.
                if (PageContents.crc32c(ctx.crc, page) != expectedCrc32c) return BAD_CHECKSUM;
            }
            // Release: the contents above happen-before any vCPU seeing the page present.
            if (!presence.makePresent(slot, bit, pageIndex)) return ALREADY_PRESENT;
            arrived.set(pageIndex);
        } finally {
            claims.clear(pageIndex);
        }
        long present = presentPages.incrementAndGet();
        listener.onInstalled(pageIndex, gfn, present == totalPages);
        return INSTALLED;
    }

    /**
     * The change step of a conversion ({@link HostEvent#CONVERT}, begun with
     * {@link Vm#hostEventBegin}): the guest gives up the page's contents. Under the page's install
     * claim, let the KVM model flip the attribute and discard or replace the host page
     * ({@link Vm#hostEventChange}) and, if the page is present, zero it ({@code ctx} null:
     * contents elided): the new shared page, or the new guest_memfd page, starts zeroed. A page
     * that has not arrived stays missing: its contents were given up before they were here, so
     * the source's copy is as good as zeros, and it arrives as any other (the source sends every
     * page, and the completion digest covers every page). The verifier accounts for a zeroed page
     * ({@code MemoryVerifier}, {@link Vm#isConverted}).
     *
     * <p>Returns {@link #ALREADY_PRESENT} (zeroed in place), {@link #INSTALLED} (converted while
     * missing: nothing to zero, the page still to come), {@link #BUSY} (a copy of the page is
     * being installed right now: nothing done, call again) or {@link #OUT_OF_RANGE}. The
     * invalidation the conversion began keeps vCPUs and KVM's caches off the page meanwhile.
     */
    public int giveUp(Context ctx, HostEvent e) {
        long gfn = e.gfn();
        Memslot slot = vm.memslotOfGfn(gfn);
        if (slot == null) return OUT_OF_RANGE;
        long bit = slot.indexOf(gfn);
        long pageIndex = slot.firstPageIndex() + bit;
        if (claims.testAndSet(pageIndex)) return BUSY;
        try {
            boolean present = presence.isPresent(slot, bit, pageIndex);
            if (present && ctx != null) {
                ByteBuffer page = ctx.view.page(pageIndex);
                int start = page.position();
                for (int i = 0; i < GuestLayout.PAGE_SIZE_BYTES; i += Long.BYTES) page.putLong(start + i, 0L);
            }
            // A missing page in a mode whose host mapping guards it (uffd+kvm-userfault) gets no
            // fresh host page: its copy maps it, with its contents.
            vm.hostEventChange(e.keepHostPageUnmapped(!present && presence != PagePresence.USERFAULT_BITMAP));
            return present ? ALREADY_PRESENT : INSTALLED;
        } finally {
            claims.clear(pageIndex);
        }
    }
}
