package org.postcopysim.dest.kvm;

import java.util.ArrayList;
import java.util.List;
import org.postcopysim.memory.GuestLayout;

/**
 * The invariants that keep the secondary MMU and KVM's caches within what the host grants
 * (kernel-background.md §5 and §6), checked over the whole model state: for tests, soak runs and
 * the simulator. Run it while nothing changes the model (the vCPUs and the host-event source
 * quiescent, or from the one thread that drives them, between two steps): an in-flight fault of
 * the lock-free one-call path may hold an entry for an instant that its own re-check removes.
 *
 * <ol>
 *   <li>A stage-2 entry never grants more than the host mapping: no entry over a host page whose
 *       PTE is none or swapped out, no writable entry over a read-only one, no entry naming a
 *       frame the host page has left (a page migration it missed), no 2 MiB entry over a region
 *       that is not all read-write, and no entry inside an invalidation in progress (it zapped the
 *       range, and no fault may install there before it ends).</li>
 *   <li>While KVM_MEM_USERFAULT is on, no gfn whose userfault bit is set has an entry (the page
 *       is missing), and no entry is 2 MiB. This assumes the VMM sets bits only while the flag is
 *       off or on unmapped gfns, as postcopy does: setting a bit leaves an existing entry alone
 *       until the flag is toggled (§5).</li>
 *   <li>A private entry is on a private gfn of a guest_memfd memslot, a shared entry on a shared
 *       gfn; and no host-address (shared-only) event removed a private entry.</li>
 *   <li>No pfn-cache entry is valid over a page an invalidation in progress covers, or valid and
 *       writable over a read-only host page, or valid over an unmapped or moved one.</li>
 *   <li>No network request was sent for a page that had arrived (the fetcher's count, passed in).</li>
 * </ol>
 * The last invariant of the list, no guest write lost, is the completion digest's.
 *
 * <p>Allocates nothing when every invariant holds (the empty list is shared); the messages, at
 * most {@code limit} of them plus a count of the rest, only on violation.
 */
public final class MmuInvariants {
    /** Messages reported at most, by default. */
    public static final int DEFAULT_LIMIT = 20;

    private static final long PAGES_PER_HUGE = GuestLayout.PAGES_PER_HUGE_PAGE;

    private MmuInvariants() {
    }

    /** Every violation of the invariants in {@code vm}, at most {@link #DEFAULT_LIMIT} messages; empty when all hold. */
    public static List<String> check(Vm vm) {
        return check(vm, 0, DEFAULT_LIMIT);
    }

    /**
     * @param refetchedArrivedPages requests the fetcher sent for pages that had arrived
     *                              ({@code DemandFetcher.refetchedArrivedPages()})
     * @param limit                 messages reported at most (the rest are counted)
     */
    public static List<String> check(Vm vm, long refetchedArrivedPages, int limit) {
        if (limit < 1) throw new IllegalArgumentException("limit must be at least 1, got " + limit);
        Found found = null;
        MmuNotifier mmu = vm.mmu();
        HostPageTable host = vm.host();
        for (int s = 0; s < vm.memslotCount(); s++) {
            Memslot slot = vm.memslot(s);
            found = checkStage2(slot, host, mmu, found, limit);
        }
        for (PfnCache cache : mmu.caches()) found = checkCache(vm, cache, host, mmu, found, limit);
        if (mmu.sharedEventPrivateZaps() > 0) {
            found = Found.add(found, limit, mmu.sharedEventPrivateZaps()
                    + " private stage-2 entries were zapped by host-address events, which reach shared memory only");
        }
        if (refetchedArrivedPages > 0) {
            found = Found.add(found, limit, refetchedArrivedPages + " network requests were sent for pages that had "
                    + "arrived (a second copy would overwrite the guest's writes)");
        }
        return found == null ? List.of() : found.messages();
    }

    private static Found checkStage2(Memslot slot, HostPageTable host, MmuNotifier mmu, Found found, int limit) {
        Stage2Table stage2 = slot.stage2();
        boolean userfault = slot.hasFlag(MemslotFlags.USERFAULT);
        UserfaultBitmap bits = slot.userfaultBitmap();
        long end = slot.baseGfn() + slot.pageCount();
        for (long gfn = stage2.nextMapped4k(slot.baseGfn()); gfn >= 0 && gfn < end; gfn = stage2.nextMapped4k(gfn + 1)) {
            if (userfault && bits.isSet(slot.indexOf(gfn))) {
                found = Found.add(found, limit, String.format("memslot %d: gfn 0x%x has a stage-2 entry but its userfault bit "
                        + "is set (the page is missing) while KVM_MEM_USERFAULT is on", slot.id(), gfn));
            }
            if (stage2.isPrivateEntry(gfn)) {
                if (!slot.isPrivate(gfn)) {
                    found = Found.add(found, limit, String.format("memslot %d: gfn 0x%x has a private stage-2 entry but is shared",
                            slot.id(), gfn));
                }
                if (mmu.inProgressOver(gfn, gfn + 1, Stage2Table.SCOPE_PRIVATE)) {
                    found = Found.add(found, limit, String.format("memslot %d: gfn 0x%x has a private stage-2 entry inside "
                            + "an invalidation in progress", slot.id(), gfn));
                }
                continue;
            }
            if (slot.isPrivate(gfn)) {
                found = Found.add(found, limit, String.format("memslot %d: gfn 0x%x is private but has a shared stage-2 entry",
                        slot.id(), gfn));
            }
            long page = slot.pageIndexOf(gfn);
            int state = host.state(page);
            if ((state & 1) == 0) {
                found = Found.add(found, limit, String.format("memslot %d: gfn 0x%x has a stage-2 entry over a host page that "
                        + "is %s (no host mapping)", slot.id(), gfn, HostPageTable.stateName(state)));
            } else if (stage2.isWritable(gfn) && state != HostPageTable.READ_WRITE) {
                found = Found.add(found, limit, String.format("memslot %d: gfn 0x%x has a writable stage-2 entry over a "
                        + "read-only host page", slot.id(), gfn));
            }
            if ((state & 1) != 0 && stage2.frame(gfn) != host.frame(page)) {
                found = Found.add(found, limit, String.format("memslot %d: gfn 0x%x's stage-2 entry maps host frame %d, but the "
                        + "host page is frame %d (a stale page: it moved)", slot.id(), gfn, stage2.frame(gfn), host.frame(page)));
            }
            if (mmu.inProgressOver(gfn, gfn + 1, Stage2Table.SCOPE_SHARED)) {
                found = Found.add(found, limit, String.format("memslot %d: gfn 0x%x has a stage-2 entry inside an invalidation "
                        + "in progress (installed after the invalidation began)", slot.id(), gfn));
            }
        }
        for (long region = stage2.nextHuge(slot.baseGfn()); region >= 0 && region < end;
                region = stage2.nextHuge(region + PAGES_PER_HUGE)) {
            long index = slot.indexOf(region);
            if (userfault) {
                found = Found.add(found, limit, String.format("memslot %d: the region at gfn 0x%x is mapped 2 MiB while "
                        + "KVM_MEM_USERFAULT is on%s", slot.id(), region,
                        bits.allClearInRange(index, index + PAGES_PER_HUGE) ? "" : ", over gfns whose userfault bits are set"));
            }
            if (slot.anyPrivate(region, region + PAGES_PER_HUGE)) {
                found = Found.add(found, limit, String.format("memslot %d: the 2 MiB entry at gfn 0x%x covers private gfns",
                        slot.id(), region));
            }
            long first = slot.pageIndexOf(region);
            if (!host.allWritable(first, first + PAGES_PER_HUGE)) {
                found = Found.add(found, limit, String.format("memslot %d: the 2 MiB entry at gfn 0x%x covers host pages that "
                        + "are not all read-write", slot.id(), region));
            } else if (stage2.hugeSignature(region) != host.frameSignature(first, first + PAGES_PER_HUGE)) {
                found = Found.add(found, limit, String.format("memslot %d: the 2 MiB entry at gfn 0x%x maps host pages that "
                        + "moved since (stale frame signature)", slot.id(), region));
            }
            if (mmu.inProgressOver(region, region + PAGES_PER_HUGE, Stage2Table.SCOPE_SHARED)) {
                found = Found.add(found, limit, String.format("memslot %d: the 2 MiB entry at gfn 0x%x lies inside an "
                        + "invalidation in progress", slot.id(), region));
            }
        }
        return found;
    }

    private static Found checkCache(Vm vm, PfnCache cache, HostPageTable host, MmuNotifier mmu, Found found, int limit) {
        for (int i = 0; i < cache.entries(); i++) {
            if (!cache.validAt(i)) continue;
            long gfn = cache.gfnAt(i);
            Memslot slot = vm.memslotOfGfn(gfn);
            if (slot == null) {
                found = Found.add(found, limit, String.format("a valid pfn-cache entry for gfn 0x%x, outside every memslot", gfn));
                continue;
            }
            if (slot.isPrivate(gfn)) {
                found = Found.add(found, limit, String.format("a valid pfn-cache entry for private gfn 0x%x (KVM reaches "
                        + "shared memory only)", gfn));
            }
            long page = slot.pageIndexOf(gfn);
            int state = host.state(page);
            if ((state & 1) == 0) {
                found = Found.add(found, limit, String.format("a valid pfn-cache entry for gfn 0x%x over a host page that is %s",
                        gfn, HostPageTable.stateName(state)));
            } else if (cache.writableAt(i) && state != HostPageTable.READ_WRITE) {
                found = Found.add(found, limit, String.format("a valid, writable pfn-cache entry for gfn 0x%x over a read-only "
                        + "host page: KVM may write memory the host write-protected", gfn));
            }
            if ((state & 1) != 0 && cache.frameAt(i) != host.frame(page)) {
                found = Found.add(found, limit, String.format("a valid pfn-cache entry for gfn 0x%x names host frame %d, the "
                        + "host page is frame %d (stale)", gfn, cache.frameAt(i), host.frame(page)));
            }
            if (mmu.inProgressOver(gfn, gfn + 1, Stage2Table.SCOPE_SHARED)) {
                found = Found.add(found, limit, String.format("a %spfn-cache entry for gfn 0x%x is still valid after an "
                        + "invalidation of its page began", cache.writableAt(i) ? "writable " : "", gfn));
            }
        }
        return found;
    }

    /** The violations found so far (created at the first one). */
    private static final class Found {
        private final List<String> messages = new ArrayList<>();
        private final int limit;
        private long more;

        private Found(int limit) {
            this.limit = limit;
        }

        static Found add(Found found, int limit, String message) {
            Found f = found == null ? new Found(limit) : found;
            if (f.messages.size() < f.limit) {
                f.messages.add(message);
            } else {
                f.more++;
            }
            return f;
        }

        List<String> messages() {
            if (more > 0) messages.add("... and " + more + " more");
            return List.copyOf(messages);
        }
    }
}
