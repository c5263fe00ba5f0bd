package org.postcopysim.dest.kvm;

import java.util.Locale;

/**
 * One host-side event on a guest page, and where it is in its three steps
 * ({@link Vm#hostEventBegin}, {@link Vm#hostEventChange}, {@link Vm#hostEventEnd}). Mutable and
 * reused: the runner's host-event source owns one and refills it with {@link #set} (or lets the
 * generator {@code org.postcopysim.dest.workload.HostEvents} fill it), so events allocate nothing.
 *
 * <p>The kinds (kernel-background.md §6):
 * <ul>
 *   <li>{@link #RECLAIM}: the host swaps the page out (its contents go to swap; a later fault
 *       brings them back without a userfault). Notifies: the stage-2 entries go.</li>
 *   <li>{@link #MIGRATE}: page migration (compaction, NUMA balancing): the page moves to another
 *       frame. Notifies.</li>
 *   <li>{@link #MPROTECT_RO}: a protection downgrade read-write -> read-only (mprotect, soft-dirty
 *       clearing, NUMA hinting). Notifies: KVM zaps, and must drop writable pfn-cache entries.</li>
 *   <li>{@link #MPROTECT_RW}: an upgrade read-only -> read-write. Notifies nothing in Linux: KVM
 *       upgrades its entry on the next write fault ("[PATCH] mmu_notifiers: Notify on pte
 *       permission upgrades"); with {@link MmuOptions#notifyUpgrades()} it notifies.</li>
 *   <li>{@link #CONVERT}: the guest converts the page between private and shared
 *       (KVM_HC_MAP_GPA_RANGE, then KVM_SET_MEMORY_ATTRIBUTES and a discard by the VMM) and gives
 *       up its contents. Private -> shared is a guest_memfd hole punch: a private-only
 *       invalidation; shared -> private discards the shared page: a host-address (shared-only)
 *       one. A no-op outside guest_memfd memslots.</li>
 * </ul>
 */
public final class HostEvent {
    public static final int RECLAIM = 0;
    public static final int MIGRATE = 1;
    public static final int MPROTECT_RO = 2;
    public static final int MPROTECT_RW = 3;
    public static final int CONVERT = 4;
    /** Number of kinds. */
    public static final int KINDS = 5;

    private static final String[] NAMES = {"reclaim", "migrate", "mprotect-ro", "mprotect-rw", "convert"};

    static final int IDLE = 0;
    static final int BEGUN = 1;
    static final int CHANGED = 2;

    int kind;
    long gfn;
    long delayNs;
    int phase = IDLE;
    /** What {@link Vm#hostEventBegin} found out. */
    Memslot slot;
    boolean notified;
    boolean toPrivate;
    boolean changed;
    /** A conversion to shared of a page whose contents have not arrived: no fresh host page (see {@link #keepHostPageUnmapped}). */
    boolean keepHostPageUnmapped;

    /** Sets the next event; only between events (not while one is in its steps). */
    public HostEvent set(int kind, long gfn, long delayNs) {
        if (phase != IDLE) throw new IllegalStateException("host event " + this + " is still in progress");
        if (kind < 0 || kind >= KINDS) throw new IllegalArgumentException("unknown host event kind " + kind);
        if (delayNs < 0) throw new IllegalArgumentException("negative delay " + delayNs);
        this.kind = kind;
        this.gfn = gfn;
        this.delayNs = delayNs;
        this.slot = null;
        this.notified = false;
        this.toPrivate = false;
        this.changed = false;
        this.keepHostPageUnmapped = false;
        return this;
    }

    public int kind() {
        return kind;
    }

    public long gfn() {
        return gfn;
    }

    /** How long after the previous event this one happens (ns); the runner decides how time passes. */
    public long delayNs() {
        return delayNs;
    }

    /**
     * For a conversion's change step: the page's contents have not arrived and the host mapping
     * is what keeps accesses off it (a uffd mode), so a conversion to shared must not map a fresh
     * host page there: KVM's own accesses through the host address would reach the page before
     * its contents. The installer, which knows, sets it before the change step.
     */
    public HostEvent keepHostPageUnmapped(boolean keep) {
        this.keepHostPageUnmapped = keep;
        return this;
    }

    /** Whether the event is between its begin and its end. */
    public boolean inProgress() {
        return phase != IDLE;
    }

    /** Whether the event brackets its change with invalidate_range_start/end (known after begin). */
    public boolean notifies() {
        return notified;
    }

    /** A conversion that makes the page private (known after begin). */
    public boolean toPrivate() {
        return toPrivate;
    }

    /** Whether the change step changed the host page (or the attribute); known after it. */
    public boolean changed() {
        return changed;
    }

    /** Whether this is a conversion of a guest_memfd gfn (known after begin): its contents are given up. */
    public boolean isConversion() {
        return kind == CONVERT && slot != null && slot.hasGuestMemfd();
    }

    /** The command-line name of a kind ("reclaim", "mprotect-ro", ...). */
    public static String name(int kind) {
        if (kind < 0 || kind >= KINDS) return "kind " + kind;
        return NAMES[kind];
    }

    /** The kind named {@code name}, or -1. */
    public static int kindOf(String name) {
        String n = name.trim().toLowerCase(Locale.ROOT);
        for (int k = 0; k < KINDS; k++) {
            if (NAMES[k].equals(n)) return k;
        }
        return -1;
    }

    @Override
    public String toString() {
        return name(kind) + "(gfn 0x" + Long.toHexString(gfn) + ")";
    }
}
