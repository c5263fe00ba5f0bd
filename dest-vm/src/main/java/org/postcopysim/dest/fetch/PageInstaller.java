package org.postcopysim.dest.fetch;

import io.netty.buffer.ByteBuf;
import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicLong;
import java.util.zip.CRC32C;
import org.postcopysim.dest.kvm.Memslot;
import org.postcopysim.dest.kvm.UserfaultBitmap;
import org.postcopysim.dest.kvm.Vm;
import org.postcopysim.memory.AtomicBitmap;
import org.postcopysim.memory.GuestLayout;
import org.postcopysim.memory.GuestMemory;
import org.postcopysim.memory.PageContents;

/**
 * Installs arriving pages with the fetcher's central invariant: <b>fill, verify, and only then
 * clear the userfault bit</b> (with release ordering). A vCPU that sees the bit clear therefore
 * sees the page's contents; a page whose CRC32C does not match is never made visible.
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
    private final AtomicBitmap claims;
    private final AtomicLong presentPages = new AtomicLong();
    private final long totalPages;
    private final Listener listener;

    public PageInstaller(Vm vm, Listener listener) {
        this.vm = vm;
        this.totalPages = vm.layout().totalPages();
        this.claims = new AtomicBitmap(totalPages);
        this.listener = listener;
    }

    /** Pages present so far. */
    public long presentPages() {
        return presentPages.get();
    }

    public long totalPages() {
        return totalPages;
    }

    /** Dense page index of {@code gfn}, or -1 outside every memslot. */
    public long pageIndexOf(long gfn) {
        return vm.layout().pageIndexOfGfn(gfn);
    }

    /**
     * Installs {@code length} bytes at {@code src[index]} as page {@code gfn}, whose sender
     * computed {@code expectedCrc32c}. Returns one of the result codes of this class.
     */
    public int install(Context ctx, long gfn, int expectedCrc32c, ByteBuf src, int index, int length) {
        if (length != GuestLayout.PAGE_SIZE_BYTES) return BAD_LENGTH;
        Memslot slot = vm.memslotOfGfn(gfn);
        if (slot == null) return OUT_OF_RANGE;
        long bit = slot.indexOf(gfn);
        long pageIndex = slot.firstPageIndex() + bit;
        UserfaultBitmap bitmap = slot.userfaultBitmap();
        if (!bitmap.isSet(bit)) return ALREADY_PRESENT;
        if (claims.testAndSet(pageIndex)) return BUSY;
        try {
            if (!bitmap.isSet(bit)) return ALREADY_PRESENT;
            ByteBuffer page = ctx.view.page(pageIndex);
            int start = page.position();
            src.getBytes(index, page);
            page.position(start);
            // Verify the installed copy itself: catches damage in flight and in the copy.
            if (PageContents.crc32c(ctx.crc, page) != expectedCrc32c) return BAD_CHECKSUM;
            bitmap.clear(bit); // release: the contents above happen-before any vCPU seeing the bit clear
        } finally {
            claims.clear(pageIndex);
        }
        long present = presentPages.incrementAndGet();
        listener.onInstalled(pageIndex, gfn, present == totalPages);
        return INSTALLED;
    }
}
