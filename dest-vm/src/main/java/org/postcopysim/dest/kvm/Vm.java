package org.postcopysim.dest.kvm;

import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.postcopysim.memory.AtomicBitmap;
import org.postcopysim.memory.GuestLayout;
import org.postcopysim.memory.PageContents;

/**
 * The simulated KVM VM: its memslots, the flags-only memslot update with the KVM Userfault
 * transitions (kernel-background.md §5), the host page tables behind guest memory
 * ({@link HostPageTable}, the primary MMU), the vCPU access path through stage-2 (the secondary
 * MMU, §2 to §6), KVM's internal accesses that cannot exit, with or without a {@link PfnCache},
 * the mmu_notifier ({@link MmuNotifier}) and the host events it reacts to, and private
 * (guest_memfd) memory.
 *
 * <p><b>Entry points for the runners.</b>
 * <ul>
 *   <li>A vCPU access: {@link #access} in one call, or stepped, so that a runner can hold its
 *       MMU lock over the install and interleave other work: {@link #faultBegin} (snapshot
 *       mmu_invalidate_seq and look the host page up, no lock), then, when it returns
 *       {@link AccessResult#FAULT_IN}, {@link #faultCommit} <em>under the MMU lock (read
 *       side)</em>: mmu_invalidate_retry, then the install.</li>
 *   <li>A host event ({@link HostEvent}): {@link #hostEventBegin} <em>under the MMU lock (write
 *       side)</em>: invalidate_range_start and its zap; {@link #hostEventChange}, no KVM lock: the
 *       host's PTE change; {@link #hostEventEnd} <em>under the MMU lock (write side)</em>:
 *       invalidate_range_end. Or {@link #apply} and the one-call methods per kind
 *       ({@link #reclaim}, {@link #migrate}, {@link #mprotectReadOnly}, {@link #mprotectReadWrite},
 *       {@link #convert}). Host events come from one source at a time (serialized with each
 *       other, and with {@link #setPrivate}); they run concurrently with any number of faults.</li>
 * </ul>
 * The MMU lock is the runner's: the model is correct without it (see {@link MmuNotifier}); it
 * is where the kernel serializes, and what the simulator charges.
 *
 * <p>{@link #access}, {@link #accessInternal}, {@link #invalidateGfn} and {@link #unmapHostPage}
 * may run on any number of threads at once and allocate nothing. Memslot updates must be
 * serialized by the caller (KVM's slots_lock); a concurrent second update is rejected. Unlike
 * KVM, an update does not wait for in-flight faults (no SRCU): a fault that read the old flags
 * may briefly hold a mapping after {@link #setMemslotFlags} returns, until its own generation
 * check removes it before it returns.
 */
public final class Vm {
    private final GuestLayout layout;
    private final boolean hugePageRecovery;
    private final HostPageTable host;
    private final Memslot[] memslots;
    private final MmuOptions options;
    private final MmuNotifier mmu;
    private final AtomicBoolean updating = new AtomicBoolean();
    private final AtomicLong zapEvents = new AtomicLong();
    private final AtomicLong mappingsZapped = new AtomicLong();
    private final AtomicLong hugeMappingsRecovered = new AtomicLong();
    private final AtomicLong hostEvents = new AtomicLong();
    private final AtomicLong retriedFaults = new AtomicLong();
    private final AtomicLong lazyUpgrades = new AtomicLong();
    private final AtomicLong localRefaults = new AtomicLong();
    private final AtomicLong upgradeRefaults = new AtomicLong();
    private final AtomicLong swapIns = new AtomicLong();
    private final AtomicLong hostWriteUpgrades = new AtomicLong();
    private final AtomicLong conversions = new AtomicLong();
    private final AtomicLong discards = new AtomicLong();
    /** Pages whose contents the guest gave up in a conversion (dense page index); null without guest_memfd. */
    private final AtomicBitmap converted;
    /** The scratch event of the one-call host-event methods (host events come from one source at a time). */
    private final HostEvent scratchEvent = new HostEvent();
    /** {@link MmuBug} bits: deliberate bugs of the negative controls; 0 in every real run. */
    private int bugs;

    /**
     * A VM whose guest memory is fully host-mapped: the KVM Userfault mode, where only the
     * userfault bitmap guards missing pages.
     *
     * @param hugePageRecovery rebuild 2 MiB mappings when USERFAULT is cleared (x86: true;
     *                         arm64: false)
     */
    public Vm(GuestLayout layout, boolean hugePageRecovery) {
        this(layout, hugePageRecovery, HostPageTable.fullyMapped(layout.totalPages()));
    }

    /**
     * A VM over the given host page tables (indexed by dense page index; one entry per page of
     * {@code layout}). Pages the host has not mapped are missing for userfaultfd (MISSING mode)
     * and for {@link MemslotFlags#EXIT_ON_MISSING}.
     *
     * @param hugePageRecovery rebuild 2 MiB mappings when USERFAULT is cleared (x86: true;
     *                         arm64: false)
     * @param host             the host page tables; {@code host.pages()} must equal
     *                         {@code layout.totalPages()}
     */
    public Vm(GuestLayout layout, boolean hugePageRecovery, HostPageTable host) {
        this(layout, hugePageRecovery, host, MmuOptions.DEFAULT);
    }

    /**
     * A VM with the given MMU options: with {@link MmuOptions#guestMemfd()} every memslot is
     * created with KVM_MEM_GUEST_MEMFD, and {@link MmuOptions#privateFraction()} of its gfns (a
     * seeded hash per gfn) start private.
     */
    public Vm(GuestLayout layout, boolean hugePageRecovery, HostPageTable host, MmuOptions options) {
        this.layout = Objects.requireNonNull(layout, "layout");
        this.host = Objects.requireNonNull(host, "host");
        this.options = Objects.requireNonNull(options, "options");
        if (host.pages() != layout.totalPages()) {
            throw new IllegalArgumentException("host page table has " + host.pages()
                    + " pages, the layout " + layout.totalPages());
        }
        this.hugePageRecovery = hugePageRecovery;
        this.mmu = new MmuNotifier(this);
        int creationFlags = options.guestMemfd() ? MemslotFlags.GUEST_MEMFD : 0;
        this.memslots = new Memslot[layout.slotCount()];
        for (int i = 0; i < memslots.length; i++) {
            memslots[i] = new Memslot(layout.slot(i), creationFlags, options.notifyUpgrades());
        }
        this.converted = options.guestMemfd() ? new AtomicBitmap(layout.totalPages()) : null;
        if (options.privateFraction() > 0) choosePrivate(options.privateFraction(), options.privateSeed());
    }

    /** Before the guest runs: each gfn private with probability {@code fraction}, from a hash of the seed and the gfn. */
    private void choosePrivate(double fraction, long seed) {
        for (Memslot slot : memslots) {
            long end = slot.baseGfn() + slot.pageCount();
            for (long gfn = slot.baseGfn(); gfn < end; gfn++) {
                double u = (PageContents.mix64(seed ^ PageContents.mix64(gfn + 0x5EC2E7L)) >>> 11) * 0x1.0p-53;
                if (u < fraction) slot.setPrivate(gfn, true);
            }
        }
    }

    public GuestLayout layout() {
        return layout;
    }

    public boolean hugePageRecovery() {
        return hugePageRecovery;
    }

    /** The host page tables behind guest memory (dense page index). */
    public HostPageTable host() {
        return host;
    }

    /** KVM's mmu_notifier state: the invalidation sequence and range in progress, and its counters. */
    public MmuNotifier mmu() {
        return mmu;
    }

    public MmuOptions options() {
        return options;
    }

    public VmType vmType() {
        return options.vmType();
    }

    public int memslotCount() {
        return memslots.length;
    }

    /** Memslot at {@code position} (base-gfn order, as in {@link GuestLayout#slot(int)}). */
    public Memslot memslot(int position) {
        return memslots[position];
    }

    /** The memslot holding {@code gfn}, or null. */
    public Memslot memslotOfGfn(long gfn) {
        int position = layout.slotPositionOfGfn(gfn);
        return position < 0 ? null : memslots[position];
    }

    /** Whether the memslots are guest_memfd-backed (their gfns can be private). */
    public boolean hasGuestMemfd() {
        return converted != null;
    }

    /** Whether {@code gfn} is private (guest_memfd memory); false outside every memslot. */
    public boolean isPrivate(long gfn) {
        if (converted == null) return false;
        Memslot slot = memslotOfGfn(gfn);
        return slot != null && slot.isPrivate(gfn);
    }

    /** Number of private gfns (a snapshot). */
    public long privatePages() {
        long n = 0;
        for (Memslot slot : memslots) n += slot.privateCount();
        return n;
    }

    /**
     * A KVM_MR_FLAGS_ONLY update of the memslot at {@code slotPosition}. USERFAULT 0 -> 1 zaps
     * every stage-2 mapping of the slot (mandatory); USERFAULT 1 -> 0 rebuilds huge mappings
     * when {@link #hugePageRecovery()} is on (over regions whose host pages are all mapped).
     * Toggling EXIT_ON_MISSING needs no zap (see {@link MemslotFlags#EXIT_ON_MISSING}).
     * READONLY and GUEST_MEMFD cannot change (EINVAL).
     *
     * @return mappings zapped (0 -> 1) or huge mappings rebuilt (1 -> 0); 0 otherwise
     */
    public int setMemslotFlags(int slotPosition, int newFlags) {
        if ((newFlags & ~MemslotFlags.ALL) != 0) {
            throw new IllegalArgumentException("unknown memslot flags " + MemslotFlags.describe(newFlags));
        }
        Memslot slot = memslots[Objects.checkIndex(slotPosition, memslots.length)];
        if (!updating.compareAndSet(false, true)) {
            throw new IllegalStateException("concurrent memslot updates: serialize them (KVM's slots_lock)");
        }
        try {
            int oldFlags = slot.flags();
            if (((oldFlags ^ newFlags) & MemslotFlags.IMMUTABLE) != 0) {
                throw new IllegalArgumentException("memslot " + slot.id() + ": cannot change "
                        + MemslotFlags.describe((oldFlags ^ newFlags) & MemslotFlags.IMMUTABLE));
            }
            slot.publishFlags(newFlags);
            if (((oldFlags ^ newFlags) & MemslotFlags.USERFAULT) == 0) return 0;
            if ((newFlags & MemslotFlags.USERFAULT) != 0) {
                if (hasBug(MmuBug.USERFAULT_ENABLE_SKIPS_ZAP)) return 0;
                // kvm_arch_flush_shadow_memslot, in common code: mapped gfns must not bypass the bitmap.
                long zapped = slot.stage2().zapAll();
                zapEvents.incrementAndGet();
                mappingsZapped.addAndGet(zapped);
                return clampToInt(zapped);
            }
            if (!hugePageRecovery || !Stage2FaultHandler.allowsHuge(newFlags)) return 0;
            long rebuilt = HugePageRecovery.recover(this, slot);
            hugeMappingsRecovered.addAndGet(rebuilt);
            return clampToInt(rebuilt);
        } finally {
            updating.set(false);
        }
    }

    /**
     * One vCPU guest access to {@code gfn} through stage-2, in one call (the fault's two steps
     * composed, retried on a lost race). Returns an {@link AccessResult}:
     * {@link AccessResult#HIT}, {@link AccessResult#MAPPED}, {@link AccessResult#EXIT_MEMORY_FAULT}
     * (userfault bit set, or host page missing under EXIT_ON_MISSING),
     * {@link AccessResult#HOST_FAULT} (host page missing, no exit: the userfaultfd wait queue),
     * {@link AccessResult#NO_MEMSLOT} or {@link AccessResult#RETRY} (an invalidation of the gfn
     * is in progress, or the fault kept losing races: re-issue it); on the two fault results
     * {@code exit} holds the kvm_run.memory_fault data. A write to a read-only entry is a fault
     * (it upgrades the entry lazily). Setting a userfault bit does not unmap a gfn that is
     * already mapped: such an access hits.
     */
    public int access(long gfn, boolean write, MemoryFaultExit exit) {
        int position = layout.slotPositionOfGfn(gfn);
        if (position < 0) return AccessResult.NO_MEMSLOT;
        Memslot slot = memslots[position];
        if (slot.stage2().permits(gfn, write)) return AccessResult.HIT;
        return Stage2FaultHandler.handle(this, slot, gfn, write, exit, exit.stage2Fault());
    }

    /**
     * Step (a) of a stage-2 fault, no lock held: snapshot mmu_invalidate_seq, then decide the
     * fault and look the host page up (get_user_pages: it may swap the page in or break its write
     * protection) into {@code fault}. Returns {@link AccessResult#HIT} (nothing to do),
     * {@link AccessResult#FAULT_IN} (call {@link #faultCommit} next, under the MMU lock),
     * {@link AccessResult#EXIT_MEMORY_FAULT} or {@link AccessResult#HOST_FAULT} ({@code exit}
     * filled), {@link AccessResult#RETRY} (an invalidation of the gfn is in progress) or
     * {@link AccessResult#NO_MEMSLOT}.
     */
    public int faultBegin(Stage2Fault fault, long gfn, boolean write, MemoryFaultExit exit) {
        int position = layout.slotPositionOfGfn(gfn);
        if (position < 0) return AccessResult.NO_MEMSLOT;
        return Stage2FaultHandler.begin(this, memslots[position], gfn, write, exit, fault);
    }

    /**
     * Steps (c) and (d) of a stage-2 fault begun by {@link #faultBegin}, <em>under the MMU lock
     * (read side)</em> if the runner keeps one: mmu_invalidate_retry (an invalidation overlapping
     * the entry's range in progress, or any ended since the snapshot) and the memslot generation,
     * then the install with the host's permissions at most. Returns {@link AccessResult#MAPPED},
     * or {@link AccessResult#RETRY} with nothing installed (begin again).
     */
    public int faultCommit(Stage2Fault fault) {
        return Stage2FaultHandler.commit(this, fault);
    }

    /**
     * An access by KVM itself that cannot exit to userspace and uses no cache (nested
     * virtualization state: kernel-background.md §4 and §5). It goes through the host address:
     * the userfault bitmap and EXIT_ON_MISSING are ignored and no stage-2 mapping is created; a
     * swapped-out page is swapped in and a write breaks write protection. Returns
     * {@link AccessResult#HIT} when the host page is mapped, {@link AccessResult#HOST_FAULT}
     * (with {@code exit} filled: the thread sleeps on the userfaultfd wait queue) when its PTE is
     * none, {@link AccessResult#RETRY} when it changed under the fault-in, or
     * {@link AccessResult#NO_MEMSLOT} (exit untouched). KVM reaches shared memory only: route
     * accesses to private gfns through the vCPU path.
     */
    public int accessInternal(long gfn, boolean write, MemoryFaultExit exit) {
        int position = layout.slotPositionOfGfn(gfn);
        if (position < 0) return AccessResult.NO_MEMSLOT;
        return Stage2FaultHandler.accessInternal(this, memslots[position], gfn, write, exit);
    }

    /**
     * A new gfn-to-pfn cache of {@code entries} entries (a power of two) for one user's KVM-internal
     * accesses, registered so that invalidations reach it. At setup, before the vCPUs run.
     */
    public PfnCache newPfnCache(int entries) {
        PfnCache cache = new PfnCache(this, entries);
        mmu.register(cache);
        return cache;
    }

    /**
     * get_user_pages as KVM calls it when it may sleep: brings a swapped-out page back (mapped
     * writable for a write, read-only for a read, as do_swap_page does) and breaks write
     * protection for a write (the host's write fault upgrades the PTE: no notification, unless
     * the notify-on-upgrade variant is on). Returns the host state after.
     */
    int hostFaultIn(Memslot slot, long gfn, long pageIndex, boolean write) {
        int state = host.state(pageIndex);
        if (state == HostPageTable.SWAPPED) {
            if (host.swapIn(pageIndex, write)) swapIns.incrementAndGet();
            state = host.state(pageIndex);
        }
        if (write && state == HostPageTable.READ_ONLY) {
            if (host.makeWritable(pageIndex)) {
                hostWriteUpgrades.incrementAndGet();
                if (options.notifyUpgrades()) mmu.notifyUpgradeInline(slot, gfn);
            }
            state = host.state(pageIndex);
        }
        return state;
    }

    /**
     * MADV_POPULATE_READ / _WRITE of the page behind {@code gfn}: what userspace does under
     * EXIT_ON_MISSING when KVM exited on a page that is here but not mapped the way the fast
     * lookup needs (reclaimed, or write-protected for a write) (kernel-background.md §4). Never
     * fetches anything. Returns whether it brought the page back from swap.
     */
    public boolean populate(long gfn, boolean write) {
        Memslot slot = memslotOfGfn(gfn);
        if (slot == null) return false;
        long pageIndex = slot.pageIndexOf(gfn);
        boolean swapped = host.isSwapped(pageIndex);
        int after = hostFaultIn(slot, gfn, pageIndex, write);
        return swapped && (after & 1) != 0;
    }

    // ---- host events -------------------------------------------------------------------------

    /**
     * Step 1 of a host event, <em>under the MMU lock (write side)</em>: for every kind that
     * notifies, invalidate_range_start over the page: the range is marked in progress, the
     * stage-2 entries the event reaches are zapped (a huge entry covering the page whole), the
     * pfn caches over it invalidated (host-address events), and the reclaim flush counted. An
     * upgrade notifies only in the notify-on-upgrade variant; a conversion outside guest_memfd and
     * an event outside every memslot notify nothing.
     */
    public void hostEventBegin(HostEvent e) {
        if (e.phase != HostEvent.IDLE) throw new IllegalStateException("host event " + e + " already begun");
        hostEvents.incrementAndGet();
        Memslot slot = memslotOfGfn(e.gfn);
        e.slot = slot;
        e.changed = false;
        e.phase = HostEvent.BEGUN;
        if (slot == null) {
            e.notified = false;
            return;
        }
        long gfn = e.gfn;
        switch (e.kind) {
            case HostEvent.RECLAIM:
            case HostEvent.MIGRATE:
            case HostEvent.MPROTECT_RO:
                e.notified = true;
                mmu.invalidateRangeStart(gfn, gfn + 1, Stage2Table.SCOPE_SHARED, true, Stage2Table.MARK_REFAULT);
                break;
            case HostEvent.MPROTECT_RW:
                e.notified = options.notifyUpgrades();
                if (e.notified) {
                    mmu.countUpgradeNotification();
                    mmu.invalidateRangeStart(gfn, gfn + 1, Stage2Table.SCOPE_SHARED, true, Stage2Table.MARK_UPGRADE);
                }
                break;
            case HostEvent.CONVERT:
                e.notified = slot.hasGuestMemfd();
                if (e.notified) {
                    e.toPrivate = !slot.isPrivate(gfn);
                    // To private: the VMM discards the shared page (an hva event, shared-only).
                    // To shared: guest_memfd punches the private page out (private-only).
                    mmu.invalidateRangeStart(gfn, gfn + 1, e.toPrivate ? Stage2Table.SCOPE_SHARED : Stage2Table.SCOPE_PRIVATE,
                            e.toPrivate, Stage2Table.MARK_NONE);
                }
                break;
            default:
                throw new IllegalStateException("unknown host event kind " + e.kind);
        }
    }

    /**
     * Step 2 of a host event, no KVM lock: the host changes the page (swap-out, migration to a
     * new frame, write-protect, unprotect; for a conversion the attribute flips, the shared page
     * is discarded or a fresh one mapped, and the page is marked {@linkplain #isConverted
     * converted}: its contents are given up, and the caller must have zeroed them before this
     * call). ->invalidate_range() follows when the old page went away.
     */
    public void hostEventChange(HostEvent e) {
        if (e.phase != HostEvent.BEGUN) throw new IllegalStateException("host event " + e + " not begun, or changed already");
        e.phase = HostEvent.CHANGED;
        Memslot slot = e.slot;
        if (slot == null) return;
        long gfn = e.gfn;
        long pageIndex = slot.pageIndexOf(gfn);
        switch (e.kind) {
            case HostEvent.RECLAIM:
                e.changed = host.swapOut(pageIndex);
                if (e.changed) mmu.invalidateRange(gfn, gfn + 1);
                break;
            case HostEvent.MIGRATE:
                e.changed = host.replaceFrame(pageIndex);
                if (e.changed) mmu.invalidateRange(gfn, gfn + 1);
                break;
            case HostEvent.MPROTECT_RO:
                e.changed = host.writeProtect(pageIndex); // the page stays: no ->invalidate_range()
                break;
            case HostEvent.MPROTECT_RW:
                e.changed = host.makeWritable(pageIndex);
                break;
            case HostEvent.CONVERT:
                if (!e.notified) break;
                if (e.toPrivate) {
                    slot.setPrivate(gfn, true);
                    if (host.unmap(pageIndex)) mmu.invalidateRange(gfn, gfn + 1);
                } else {
                    if (!e.keepHostPageUnmapped) host.mapFresh(pageIndex); // else the page's copy maps it
                    slot.setPrivate(gfn, false);
                }
                converted.set(pageIndex);
                conversions.incrementAndGet();
                e.changed = true;
                break;
            default:
                throw new IllegalStateException("unknown host event kind " + e.kind);
        }
    }

    /** Step 3 of a host event, <em>under the MMU lock (write side)</em>: invalidate_range_end if it notified. */
    public void hostEventEnd(HostEvent e) {
        if (e.phase != HostEvent.CHANGED) throw new IllegalStateException("host event " + e + " not changed yet");
        e.phase = HostEvent.IDLE;
        if (e.notified) mmu.invalidateRangeEnd();
    }

    /**
     * The three steps of {@code e} in one call (a conversion here changes no contents: the
     * model's {@code HostEventDriver} zeroes them). Returns whether the host page changed.
     */
    public boolean apply(HostEvent e) {
        hostEventBegin(e);
        hostEventChange(e);
        hostEventEnd(e);
        return e.changed;
    }

    /** Reclaim of the page behind {@code gfn}, in one call. Returns whether it was mapped (and is now swapped out). */
    public boolean reclaim(long gfn) {
        return apply(scratchEvent.set(HostEvent.RECLAIM, gfn, 0));
    }

    /** Migration of the page behind {@code gfn} to a new frame, in one call. Returns whether it was mapped. */
    public boolean migrate(long gfn) {
        return apply(scratchEvent.set(HostEvent.MIGRATE, gfn, 0));
    }

    /** mprotect(PROT_READ) of the page behind {@code gfn}, in one call. Returns whether it was writable. */
    public boolean mprotectReadOnly(long gfn) {
        return apply(scratchEvent.set(HostEvent.MPROTECT_RO, gfn, 0));
    }

    /** mprotect(PROT_READ|PROT_WRITE) of the page behind {@code gfn}, in one call. Returns whether it was read-only. */
    public boolean mprotectReadWrite(long gfn) {
        return apply(scratchEvent.set(HostEvent.MPROTECT_RW, gfn, 0));
    }

    /** A conversion of {@code gfn} (kernel side only, see {@link #apply}). Returns whether it converted. */
    public boolean convert(long gfn) {
        return apply(scratchEvent.set(HostEvent.CONVERT, gfn, 0));
    }

    /**
     * KVM_SET_MEMORY_ATTRIBUTES on one gfn: makes it private or shared, zapping the entries of
     * its old attribute first, without touching contents or host pages (a VMM's conversion also
     * discards: use a {@link HostEvent#CONVERT} event). Serialized with host events. Returns
     * whether the attribute changed.
     */
    public boolean setPrivate(long gfn, boolean makePrivate) {
        Memslot slot = memslotOfGfn(gfn);
        if (slot == null) throw new IllegalArgumentException("gfn 0x" + Long.toHexString(gfn) + " is outside every memslot");
        if (slot.isPrivate(gfn) == makePrivate) return false;
        if (!slot.hasGuestMemfd()) slot.setPrivate(gfn, makePrivate); // throws, naming the memslot
        mmu.invalidateRangeStart(gfn, gfn + 1, makePrivate ? Stage2Table.SCOPE_SHARED : Stage2Table.SCOPE_PRIVATE,
                false, Stage2Table.MARK_NONE);
        if (makePrivate) mmu.invalidatePfnCaches(gfn, gfn + 1);
        slot.setPrivate(gfn, makePrivate);
        mmu.invalidateRangeEnd();
        return true;
    }

    /**
     * An mmu_notifier invalidation of {@code gfn} that leaves the host page as it is (the
     * notification of a change the caller makes itself): zaps the shared stage-2 mapping covering
     * it (a huge mapping whole). The next access refaults and, the page being present (bit clear,
     * host page mapped), is resolved inside KVM ({@link AccessResult#MAPPED}), never by an exit or
     * the network. No-op outside every memslot.
     */
    public void invalidateGfn(long gfn) {
        if (memslotOfGfn(gfn) == null) return;
        hostEvents.incrementAndGet();
        mmu.invalidateRangeStart(gfn, gfn + 1, Stage2Table.SCOPE_SHARED, true, Stage2Table.MARK_REFAULT);
        mmu.invalidateRangeEnd();
    }

    /**
     * The host discards the page behind {@code gfn} (MADV_DONTNEED, QEMU's postcopy discard): its
     * PTE becomes none, bracketed by invalidate_range_start/end, so the stage-2 mapping covering
     * it is zapped. The next access is missing again: {@link AccessResult#HOST_FAULT} or, under
     * EXIT_ON_MISSING, an exit. (Reclaim is {@link #reclaim}: the page is swapped out, not gone.)
     * A fault racing this call either sees the invalidation and retries or has its mapping zapped.
     * Returns whether the host page was mapped; false (and nothing done) outside every memslot.
     */
    public boolean unmapHostPage(long gfn) {
        Memslot slot = memslotOfGfn(gfn);
        if (slot == null) return false;
        hostEvents.incrementAndGet();
        mmu.invalidateRangeStart(gfn, gfn + 1, Stage2Table.SCOPE_SHARED, true, Stage2Table.MARK_NONE);
        boolean wasMapped = host.unmap(slot.pageIndexOf(gfn));
        if (wasMapped) mmu.invalidateRange(gfn, gfn + 1);
        mmu.invalidateRangeEnd();
        return wasMapped;
    }

    /**
     * QEMU's postcopy discard of {@code gfn}, before the vCPUs run on the destination: the copy the
     * source sent during precopy is stale (the guest wrote the page since), so the VMM drops it and
     * the page is missing again. Bracketed by invalidate_range_start/end like any change the MMU
     * must hear of, so the stage-2 entry covering it goes (a huge one whole); with
     * {@code setUserfaultBit} the memslot's KVM Userfault bit is set again (the next access exits);
     * with {@code unmapHostPage} the host PTE becomes none (MADV_DONTNEED: the next access faults in
     * the host, where a userfaultfd sees it). A private gfn's invalidation reaches private entries
     * only (guest_memfd's hole punch), a shared one's shared entries only. Counted in
     * {@link #discards}, not as a host event. The caller zeroes or forgets the contents.
     *
     * @throws IllegalArgumentException outside every memslot
     */
    public void discard(long gfn, boolean setUserfaultBit, boolean unmapHostPage) {
        Memslot slot = memslotOfGfn(gfn);
        if (slot == null) throw new IllegalArgumentException("gfn 0x" + Long.toHexString(gfn) + " is outside every memslot");
        boolean isPrivate = slot.isPrivate(gfn);
        mmu.invalidateRangeStart(gfn, gfn + 1, isPrivate ? Stage2Table.SCOPE_PRIVATE : Stage2Table.SCOPE_SHARED, !isPrivate,
                Stage2Table.MARK_NONE);
        if (setUserfaultBit) slot.userfaultBitmap().set(slot.indexOf(gfn));
        if (unmapHostPage && host.unmap(slot.pageIndexOf(gfn))) mmu.invalidateRange(gfn, gfn + 1);
        mmu.invalidateRangeEnd();
        discards.incrementAndGet();
    }

    /** Pages dropped by {@link #discard}. */
    public long discards() {
        return discards.get();
    }

    /** Whether the guest gave up the contents of page {@code pageIndex} in a conversion (they are zero since, plus its writes). */
    public boolean isConverted(long pageIndex) {
        return converted != null && converted.get(pageIndex);
    }

    /** The lowest converted page index at or above {@code fromPageIndex}, or -1: for the verifier, which must not compare them with the source. */
    public long nextConverted(long fromPageIndex) {
        return converted == null ? -1 : converted.nextSet(fromPageIndex);
    }

    /** Pages converted at least once (a snapshot). */
    public long convertedPages() {
        return converted == null ? 0 : converted.cardinality();
    }

    // ---- counters ----------------------------------------------------------------------------

    /** USERFAULT 0 -> 1 transitions, each a whole-memslot stage-2 flush. */
    public long zapEvents() {
        return zapEvents.get();
    }

    /** Mappings removed by those flushes (a huge mapping counts as one). */
    public long mappingsZapped() {
        return mappingsZapped.get();
    }

    /** Huge mappings rebuilt by USERFAULT 1 -> 0 transitions. */
    public long hugeMappingsRecovered() {
        return hugeMappingsRecovered.get();
    }

    /** Host events begun (whatever they changed). */
    public long hostEvents() {
        return hostEvents.get();
    }

    /** invalidate_range_start calls. */
    public long invalidations() {
        return mmu.invalidations();
    }

    /** Stage-2 entries zapped by invalidations (a huge entry counts as one). */
    public long stage2Zapped() {
        return mmu.stage2Zapped();
    }

    /** Faults that mapped a gfn again after an mmu_notifier event zapped it: resolved inside KVM. */
    public long localRefaults() {
        return localRefaults.get();
    }

    /** Stage-2 faults that returned RETRY (mmu_invalidate_retry, or a memslot flags change). */
    public long retriedFaults() {
        return retriedFaults.get();
    }

    /** Read-only 4 KiB entries made writable by a write fault, without any notification. */
    public long lazyUpgrades() {
        return lazyUpgrades.get();
    }

    /** Valid pfn-cache entries invalidated. */
    public long pfnCacheInvalidations() {
        return mmu.pfnCacheInvalidations();
    }

    /** Completed pfn-cache refreshes, over every registered cache. */
    public long pfnCacheRefreshes() {
        long n = 0;
        for (PfnCache c : mmu.caches()) n += c.refreshes();
        return n;
    }

    /** Refreshes that had to retry (an invalidation in progress or ended meanwhile), over every cache. */
    public long pfnCacheRetries() {
        long n = 0;
        for (PfnCache c : mmu.caches()) n += c.retries();
        return n;
    }

    /** Entries the notify-on-upgrade variant zapped (KVM would have upgraded them lazily). */
    public long upgradeZaps() {
        return mmu.upgradeZaps();
    }

    /** Faults that mapped a gfn again after an upgrade notification zapped it (the variant only). */
    public long upgradeRefaults() {
        return upgradeRefaults.get();
    }

    /** Pages the host swapped in on a fault (reclaimed pages coming back without a userfault). */
    public long swapIns() {
        return swapIns.get();
    }

    /** Read-only host pages a write fault made writable (the host's own upgrade). */
    public long hostWriteUpgrades() {
        return hostWriteUpgrades.get();
    }

    /** Conversions between private and shared. */
    public long conversions() {
        return conversions.get();
    }

    void countRetriedFault() {
        retriedFaults.incrementAndGet();
    }

    void countLazyUpgrade() {
        lazyUpgrades.incrementAndGet();
    }

    void countLocalRefault() {
        localRefaults.incrementAndGet();
    }

    void countUpgradeRefault() {
        upgradeRefaults.incrementAndGet();
    }

    /** Injects a deliberate bug (the negative controls of this package's tests). Before the vCPUs run. */
    void injectBug(MmuBug bug) {
        bugs |= bug.bit();
    }

    boolean hasBug(MmuBug bug) {
        return (bugs & bug.bit()) != 0;
    }

    private static int clampToInt(long value) {
        return (int) Math.min(value, Integer.MAX_VALUE);
    }
}
