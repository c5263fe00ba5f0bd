package org.postcopysim.dest.fetch;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.atomic.AtomicLong;
import org.postcopysim.dest.kvm.Memslot;
import org.postcopysim.memory.AtomicBitmap;

/**
 * The userspace half of a memory-fault exit: turns a vCPU's fault into at most one page request
 * in flight per page. A vCPU faulting on a page someone already requested joins that request
 * (a redundant fault). Copies that fail their checksum are re-requested up to a limit.
 * Allocation-free; the KVM model never calls it (the vCPU runner and the installer do).
 */
public final class DemandFetcher {
    /** This fault sent the request. */
    public static final int REQUESTED = 0;
    /** A request for the page was already in flight: this fault waits on it (redundant fault). */
    public static final int JOINED = 1;
    /** The page became present between the exit and this call: nothing to fetch. */
    public static final int PRESENT = 2;

    private static final VarHandle BYTES = MethodHandles.arrayElementVarHandle(byte[].class);

    private final InflightPages inflight;
    private final byte[] badCopies;
    private final int maxPageRetries;
    private final AtomicLong nextRequestId = new AtomicLong(1);
    private final AtomicLong requestsSent = new AtomicLong();
    private final AtomicLong reRequests = new AtomicLong();
    private final AtomicLong resentAfterRecovery = new AtomicLong();
    private final PageRequestSender sender;

    /**
     * @param totalPages     pages of the guest
     * @param maxPageRetries how many bad copies of one page are re-requested before the
     *                       migration stops
     */
    public DemandFetcher(long totalPages, int maxPageRetries, PageRequestSender sender) {
        this(totalPages, maxPageRetries, PagePresence.USERFAULT_BITMAP, sender);
    }

    public DemandFetcher(long totalPages, int maxPageRetries, PagePresence presence, PageRequestSender sender) {
        this(totalPages, maxPageRetries, presence, sender, null);
    }

    /**
     * @param arrived the installer's record of arrived pages ({@link PageInstaller#arrivedPages()}),
     *                so that a request for a page that had arrived is counted
     *                ({@link #refetchedArrivedPages()}); null not to count
     */
    public DemandFetcher(long totalPages, int maxPageRetries, PagePresence presence, PageRequestSender sender,
                         AtomicBitmap arrived) {
        if (maxPageRetries < 0 || maxPageRetries > 100) throw new IllegalArgumentException("page retries " + maxPageRetries);
        this.inflight = new InflightPages(totalPages, presence, arrived);
        this.badCopies = new byte[Math.toIntExact(totalPages)];
        this.maxPageRetries = maxPageRetries;
        this.sender = sender;
    }

    /**
     * A vCPU exited on {@code gfn} (bit {@code bit} of {@code slot}, dense {@code pageIndex}).
     * Returns {@link #REQUESTED}, {@link #JOINED} or {@link #PRESENT}.
     */
    public int fault(Memslot slot, long bit, long gfn, long pageIndex) {
        switch (inflight.begin(slot, bit, pageIndex)) {
            case InflightPages.JOINED:
                return JOINED;
            case InflightPages.PRESENT:
                return PRESENT;
            default:
                send(gfn, true);
                return REQUESTED;
        }
    }

    /** The page is present: a later fault on it (after an invalidation) is local, not remote. */
    public void onInstalled(long pageIndex) {
        inflight.end(pageIndex);
    }

    /**
     * A copy of {@code gfn} failed its checksum. Re-requests it and returns true, or returns
     * false when the page has failed more than the retry limit (the migration must stop).
     */
    public boolean onBadCopy(long gfn, long pageIndex) {
        int bad = (byte) BYTES.getAndAdd(badCopies, (int) pageIndex, (byte) 1) + 1;
        if (bad > maxPageRetries) return false;
        inflight.restart(pageIndex);
        reRequests.incrementAndGet();
        send(gfn, true);
        return true;
    }

    /**
     * Postcopy recovery: the link that carried the requests in flight is gone, and with it the
     * requests and their answers. Sends each again (on the new link: call after the sender
     * writes there). A fault racing this call may send a request twice; the second answer is
     * dropped as a duplicate.
     *
     * @param gfnOfPageIndex dense page index to guest frame number
     * @return requests sent again (count)
     */
    public int resendInFlight(java.util.function.LongUnaryOperator gfnOfPageIndex) {
        int n = 0;
        for (long p = inflight.nextInFlight(0); p >= 0; p = inflight.nextInFlight(p + 1)) {
            send(gfnOfPageIndex.applyAsLong(p), true);
            n++;
        }
        resentAfterRecovery.addAndGet(n);
        return n;
    }

    /** Whether a request for the page at {@code pageIndex} is in flight (sent, its page not yet installed). */
    public boolean isInFlight(long pageIndex) {
        return inflight.isInFlight(pageIndex);
    }

    /** Requests sent again after a recovery (count). */
    public long resentAfterRecovery() {
        return resentAfterRecovery.get();
    }

    /** Bad copies seen of the page at {@code pageIndex}. */
    public int badCopies(long pageIndex) {
        return (byte) BYTES.getVolatile(badCopies, (int) pageIndex);
    }

    /**
     * Requests sent for pages that had arrived already (a page the host reclaimed, or KVM zapped,
     * is absent but not missing: it must be resolved locally). Must stay 0: a second copy would
     * overwrite the guest's writes. Only counted when built with the arrival record.
     */
    public long refetchedArrivedPages() {
        return inflight.refetchedArrivedPages();
    }

    public long requestsSent() {
        return requestsSent.get();
    }

    public long reRequests() {
        return reRequests.get();
    }

    private void send(long gfn, boolean urgent) {
        requestsSent.incrementAndGet();
        sender.request(nextRequestId.getAndIncrement(), gfn, urgent);
    }
}
