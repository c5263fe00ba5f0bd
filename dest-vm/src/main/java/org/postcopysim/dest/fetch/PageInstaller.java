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

    /** Told of every page made present, on the installing thread, after its bit is clear. */
    @FunctionalInterface
    public interface Listener {
        void onInstalled(long pageIndex, long gfn, boolean lastPage);
    }

    /** The contents are in guest memory now but could not be put in place: the page stays missing. */
    public static final int PLACE_FAILED = 6;
    /** {@link #discard}: the page was present and is missing again. */
    public static final int DISCARDED = 7;
    /** {@link #discard}: the page was missing already: nothing dropped. */
    public static final int MISSING = 8;
    /**
     * {@link #installPrecopyCopy}: the copy is an earlier precopy round's than the one here (it was
     * overtaken on another stream by a later copy): dropped without touching the page.
     */
    public static final int STALE_ROUND = 9;

    /**
     * Where an installing thread writes a page before it is made present, when it cannot write
     * guest memory in place: with a real userfaultfd a missing page can only be filled atomically
     * by {@code UFFDIO_COPY} from a buffer of one's own. The contents are written and verified in
     * the staging page, then {@link #place} copies them in; only then is the page made present.
     * One per installing thread, like its {@link Context}; allocates nothing per page.
     */
    public interface Staging {
        /** {@link #place}: the staged page is now the guest's. */
        int PLACED = 0;
        /** {@link #place}: guest memory had the page already (UFFDIO_COPY's EEXIST): tolerated, counted by the staging. */
        int WAS_THERE = 1;
        /** {@link #place}: the copy failed; {@link #placeFailure()} says why. */
        int FAILED = 2;

        /** The staging page: position 0, limit one page; reused for every page. */
        ByteBuffer page();

        /** Copies the staged, verified page into guest page {@code pageIndex}; returns a code above. */
        int place(long pageIndex);

        /** Why the last {@link #place} failed. */
        String placeFailure();
    }

    /**
     * One installing thread's scratch state: its memory view (or staging page) and checksum
     * engine.
     */
    public static final class Context {
        final GuestMemory.View view;
        final Staging staging;
        final CRC32C crc = new CRC32C();

        /** Writes pages in place, into {@code memory} (the model's guest memory). */
        public Context(GuestMemory memory) {
            this.view = memory.newView();
            this.staging = null;
        }

        /** Writes each page into {@code staging} and verifies it there before it is put in place. */
        public Context(Staging staging) {
            this.view = null;
            this.staging = java.util.Objects.requireNonNull(staging, "staging");
        }

        /** The staging, or null when pages are written in place. */
        public Staging staging() {
            return staging;
        }
    }

    private final Vm vm;
    private final PagePresence presence;
    private final AtomicBitmap claims;
    /** Pages installed at least once (cleared only by a {@link #discard}): "arrived", whatever the host did to them since. */
    private final AtomicBitmap arrived;
    private final AtomicLong presentPages = new AtomicLong();
    private final long totalPages;
    private final Listener listener;
    /**
     * The precopy round of each page's copy here (0: none), allocated by {@link #trackPrecopyRounds};
     * each entry read and written under the page's claim.
     */
    private volatile int[] copyRounds;

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
     * {@code expectedCrc32c}. Returns one of the result codes of this class.
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
        int r;
        try {
            r = fillClaimed(ctx, slot, bit, pageIndex, expectedCrc32c, src, elided);
        } finally {
            claims.clear(pageIndex);
        }
        if (r == INSTALLED) onMadePresent(pageIndex, gfn);
        return r;
    }

    /**
     * Installs a precopy copy of page {@code gfn} read on the source in precopy round {@code round}
     * (1 or more). Copies of one page from two rounds can travel on two streams and arrive in either
     * order; under the page's claim the later round's wins: a copy of an earlier round than the one
     * here is dropped ({@link #STALE_ROUND}), a copy of a later round replaces it (the page dropped
     * as {@link #discard} drops it, then filled and verified as {@link #install} does: a copy that
     * fails its CRC32C leaves the page missing), and another copy of the same round as the present one
     * is a duplicate ({@link #ALREADY_PRESENT}). {@link #BUSY} means another copy of the page is
     * being installed this moment: the caller must try again (dropping the copy could lose a later
     * round's to an earlier one; a claim is held for one page's copy and check). Only while the vCPUs
     * do not run here (precopy), after {@link #trackPrecopyRounds}.
     */
    public int installPrecopyCopy(Context ctx, long gfn, int expectedCrc32c, PageBytes src, int round) {
        if (round < 1) throw new IllegalArgumentException("precopy rounds count from 1, got " + round);
        Memslot slot = vm.memslotOfGfn(gfn);
        if (slot == null) return OUT_OF_RANGE;
        long bit = slot.indexOf(gfn);
        long pageIndex = slot.firstPageIndex() + bit;
        int[] rounds = copyRounds;
        if (rounds == null) throw new IllegalStateException("a precopy copy before trackPrecopyRounds()");
        if (claims.testAndSet(pageIndex)) return BUSY;
        int r;
        boolean dropped = false;
        try {
            int here = rounds[(int) pageIndex];
            boolean present = presence.isPresent(slot, bit, pageIndex);
            if (round < here) return STALE_ROUND;
            if (round == here && present) return ALREADY_PRESENT;
            rounds[(int) pageIndex] = round;
            if (present) {
                dropClaimed(ctx, slot, bit, gfn, pageIndex);
                dropped = true;
            }
            r = fillClaimed(ctx, slot, bit, pageIndex, expectedCrc32c, src, false);
        } finally {
            claims.clear(pageIndex);
        }
        if (dropped) presentPages.decrementAndGet();
        if (r == INSTALLED) onMadePresent(pageIndex, gfn);
        return r;
    }

    /** Precopy is coming: from now on each page's copy round is kept (4 bytes a page). Before the first precopy page. */
    public void trackPrecopyRounds() {
        if (copyRounds == null) copyRounds = new int[Math.toIntExact(totalPages)];
    }

    /** Under the page's claim: fill, verify, then make present; returns INSTALLED or why not. */
    private int fillClaimed(Context ctx, Memslot slot, long bit, long pageIndex, int expectedCrc32c, PageBytes src,
                            boolean elided) {
        if (presence.isPresent(slot, bit, pageIndex)) return ALREADY_PRESENT;
        if (!elided) {
            Staging staging = ctx.staging;
            ByteBuffer page = staging != null ? staging.page() : ctx.view.page(pageIndex);
            int start = page.position();
            src.copyTo(page);
            page.position(start);
            // Verify the installed (or staged) copy itself: catches damage in flight and in the copy.
            if (PageContents.crc32c(ctx.crc, page) != expectedCrc32c) return BAD_CHECKSUM;
            // Only a verified page is copied into guest memory (UFFDIO_COPY); a WAS_THERE is tolerated.
            if (staging != null && staging.place(pageIndex) == Staging.FAILED) return PLACE_FAILED;
        }
        // Release: the contents above happen-before any vCPU seeing the page present.
        if (!presence.makePresent(slot, bit, pageIndex)) return ALREADY_PRESENT;
        arrived.set(pageIndex);
        return INSTALLED;
    }

    private void onMadePresent(long pageIndex, long gfn) {
        long present = presentPages.incrementAndGet();
        listener.onInstalled(pageIndex, gfn, present == totalPages);
    }

    /**
     * Drops page {@code gfn}, the switchover's discard after precopy: the copy here is stale (the
     * guest wrote the page on the source after it was sent), so the page must be missing again and
     * the guest must fault on it, never read the stale copy. Under the page's install claim, the
     * fault mode makes it missing through the KVM model ({@link PagePresence#makeMissing}: the
     * userfault bit set again, or the host page unmapped, the stage-2 entry zapped either way); its
     * contents are zeroed as MADV_DONTNEED leaves them ({@code ctx} null: contents elided); it is no
     * longer {@linkplain #hasArrived arrived}, so fetching it again is no refetch; and it no longer
     * counts as present, so the last page made present after the discard is the last again. Call it
     * before the vCPUs run on the destination.
     *
     * <p>Returns {@link #DISCARDED}, {@link #MISSING} (nothing here to drop), {@link #BUSY} (a copy
     * of the page is being installed right now: nothing done, call again) or {@link #OUT_OF_RANGE}.
     */
    public int discard(Context ctx, long gfn) {
        Memslot slot = vm.memslotOfGfn(gfn);
        if (slot == null) return OUT_OF_RANGE;
        long bit = slot.indexOf(gfn);
        long pageIndex = slot.firstPageIndex() + bit;
        if (claims.testAndSet(pageIndex)) return BUSY;
        try {
            if (!presence.isPresent(slot, bit, pageIndex)) return MISSING;
            dropClaimed(ctx, slot, bit, gfn, pageIndex);
            presentPages.decrementAndGet();
            return DISCARDED;
        } finally {
            claims.clear(pageIndex);
        }
    }

    /** Under the page's claim, a present page made missing, its contents zeroed (not counted here). */
    private void dropClaimed(Context ctx, Memslot slot, long bit, long gfn, long pageIndex) {
        presence.makeMissing(vm, slot, bit, gfn);
        if (ctx != null) {
            if (ctx.view == null) throw new IllegalStateException("a discard needs guest memory written in place");
            zero(ctx.view.page(pageIndex));
        }
        arrived.clear(pageIndex);
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
                if (ctx.view == null) throw new IllegalStateException("a conversion needs guest memory written in place");
                zero(ctx.view.page(pageIndex));
            }
            // A missing page in a mode whose host mapping guards it (uffd+kvm-userfault) gets no
            // fresh host page: its copy maps it, with its contents.
            vm.hostEventChange(e.keepHostPageUnmapped(!present && presence != PagePresence.USERFAULT_BITMAP));
            return present ? ALREADY_PRESENT : INSTALLED;
        } finally {
            claims.clear(pageIndex);
        }
    }

    /** Zeroes the page {@code page} is positioned on. */
    private static void zero(ByteBuffer page) {
        int start = page.position();
        for (int i = 0; i < GuestLayout.PAGE_SIZE_BYTES; i += Long.BYTES) page.putLong(start + i, 0L);
    }
}
