package org.postcopysim.dest.fetch;

import java.util.concurrent.atomic.AtomicLong;
import org.postcopysim.dest.kvm.Memslot;
import org.postcopysim.memory.AtomicBitmap;

/**
 * At most one fetch in flight per page: the first fault on a missing page starts a fetch, and
 * every later fault on it joins that fetch (a redundant fault) until the page is present. Shared
 * by the network fetcher ({@link DemandFetcher}) and the local pages of the fault benchmark, so
 * both deduplicate exactly alike. One atomic bit per page; lock-free, allocation-free, and safe
 * on any number of threads (or on one simulated thread).
 *
 * <p>Given the installer's record of arrived pages ({@link PageInstaller#arrivedPages()}), it also
 * counts fetches started for a page that had arrived already ({@link #refetchedArrivedPages()}):
 * a page the host reclaimed or KVM zapped is absent but not missing, and fetching it again would
 * overwrite the guest's writes with the source's copy. That count must stay 0.
 */
public final class InflightPages {
    /** This caller must fetch the page: nobody else is. */
    public static final int FIRST = 0;
    /** A fetch of the page is already in flight: wait for it. */
    public static final int JOINED = 1;
    /** The page is present already: nothing to fetch. */
    public static final int PRESENT = 2;

    private final AtomicBitmap inflight;
    private final PagePresence presence;
    private final AtomicBitmap arrived;
    private final AtomicLong refetchedArrivedPages = new AtomicLong();

    public InflightPages(long totalPages, PagePresence presence) {
        this(totalPages, presence, null);
    }

    /** @param arrived the pages installed so far (read only), or null not to count refetches */
    public InflightPages(long totalPages, PagePresence presence, AtomicBitmap arrived) {
        this.inflight = new AtomicBitmap(totalPages);
        this.presence = presence;
        this.arrived = arrived;
    }

    /**
     * A fault on dense page {@code pageIndex} (bit {@code bit} of {@code slot}). Returns
     * {@link #FIRST} (the caller now owns the fetch and must {@link #end} it, or leave that to
     * the installer), {@link #JOINED} or {@link #PRESENT}.
     */
    public int begin(Memslot slot, long bit, long pageIndex) {
        if (inflight.testAndSet(pageIndex)) return JOINED;
        // Arrived is read before presence: the installer makes a page present and then records it
        // arrived, so a page seen arrived here is seen present below unless it truly left (a
        // refetch). Read the other way round, an install between the two reads would count a
        // page that was merely arriving.
        boolean hadArrived = arrived != null && arrived.get(pageIndex);
        if (presence.isPresent(slot, bit, pageIndex)) {
            // Installed meanwhile: the installer may have ended the fetch before we began it.
            inflight.clear(pageIndex);
            return PRESENT;
        }
        if (hadArrived) refetchedArrivedPages.incrementAndGet();
        return FIRST;
    }

    /** Fetches begun for pages that had arrived already (the presence said missing): must stay 0. */
    public long refetchedArrivedPages() {
        return refetchedArrivedPages.get();
    }

    /** The fetch of {@code pageIndex} is over (the page is present, or the fetch gave up). */
    public void end(long pageIndex) {
        inflight.clear(pageIndex);
    }

    /** Marks a fetch of {@code pageIndex} in flight again (a re-request after a bad copy). */
    public void restart(long pageIndex) {
        inflight.set(pageIndex);
    }

    /** Whether a fetch of {@code pageIndex} is in flight. */
    public boolean isInFlight(long pageIndex) {
        return inflight.get(pageIndex);
    }

    /** The first page at or after {@code from} with a fetch in flight, or -1. */
    public long nextInFlight(long from) {
        return inflight.nextSet(from);
    }
}
