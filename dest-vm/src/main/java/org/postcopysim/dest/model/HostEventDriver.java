package org.postcopysim.dest.model;

import org.postcopysim.dest.fetch.PageInstaller;
import org.postcopysim.dest.kvm.HostEvent;
import org.postcopysim.dest.kvm.Vm;

/**
 * Host events applied to one destination model (kernel-background.md §6): the KVM side
 * ({@link Vm#hostEventBegin}, {@link Vm#hostEventChange}, {@link Vm#hostEventEnd}) plus, for a
 * conversion, what the VMM does with the contents the guest gave up (zeroed, and the page made
 * present, through the installer: {@link PageInstaller#giveUp}).
 *
 * <p>How a runner drives it, for each event from {@code HostEvents.next}:
 * <ol>
 *   <li>wait {@link HostEvent#delayNs()} (the thread runner parks, the simulator schedules);</li>
 *   <li>{@link #begin} <em>under its MMU lock, write side</em> (invalidate_range_start);</li>
 *   <li>{@link #change}, no KVM lock; {@link #RETRY} means a copy of the page is being installed
 *       right now: call it again shortly (nothing was done);</li>
 *   <li>{@link #end} <em>under its MMU lock, write side</em> (invalidate_range_end).</li>
 * </ol>
 * Faults may run between the steps (that is the point of steps); host events come from one
 * source at a time. A single-threaded caller (a test, the simulator, where no install holds its
 * claim across events) may use {@link #apply} or the one-call methods per kind instead. Plain
 * data and methods; allocation-free.
 */
public final class HostEventDriver {
    /** {@link #change}: done. */
    public static final int DONE = 0;
    /** {@link #change}: a copy of the page is being installed; nothing done, call again. */
    public static final int RETRY = 1;

    private final Vm vm;
    private final PageInstaller installer;
    private final HostEvent scratch = new HostEvent();

    HostEventDriver(Vm vm, PageInstaller installer) {
        this.vm = vm;
        this.installer = installer;
    }

    /** Step 1, under the MMU lock (write): invalidate_range_start and its zaps. */
    public void begin(HostEvent e) {
        vm.hostEventBegin(e);
    }

    /**
     * Step 2, no KVM lock: the host's change. A conversion also zeroes the page through
     * {@code ctx} (null when contents are elided) and makes it present. Returns {@link #DONE} or
     * {@link #RETRY}.
     */
    public int change(HostEvent e, PageInstaller.Context ctx) {
        if (e.isConversion()) return installer.giveUp(ctx, e) == PageInstaller.BUSY ? RETRY : DONE;
        vm.hostEventChange(e);
        return DONE;
    }

    /** Step 3, under the MMU lock (write): invalidate_range_end. */
    public void end(HostEvent e) {
        vm.hostEventEnd(e);
    }

    /**
     * The three steps in one call, for single-threaded callers. Returns whether the host page
     * (or the attribute) changed.
     *
     * @throws IllegalStateException when a copy of the page is being installed concurrently (use the steps)
     */
    public boolean apply(HostEvent e, PageInstaller.Context ctx) {
        begin(e);
        if (change(e, ctx) == RETRY) {
            throw new IllegalStateException(e + ": a copy of the page is being installed concurrently; "
                    + "drive host events with begin/change/end and retry the change");
        }
        end(e);
        return e.changed();
    }

    /** Reclaim of the page behind {@code gfn} (swapped out). Returns whether it was mapped. */
    public boolean reclaim(long gfn) {
        return apply(scratch.set(HostEvent.RECLAIM, gfn, 0), null);
    }

    /** Migration of the page behind {@code gfn} to a new frame. Returns whether it was mapped. */
    public boolean migrate(long gfn) {
        return apply(scratch.set(HostEvent.MIGRATE, gfn, 0), null);
    }

    /** Write-protection of the page behind {@code gfn}. Returns whether it was writable. */
    public boolean mprotectReadOnly(long gfn) {
        return apply(scratch.set(HostEvent.MPROTECT_RO, gfn, 0), null);
    }

    /** Write permission back on the page behind {@code gfn}. Returns whether it was read-only. */
    public boolean mprotectReadWrite(long gfn) {
        return apply(scratch.set(HostEvent.MPROTECT_RW, gfn, 0), null);
    }

    /**
     * The guest converts {@code gfn} between private and shared, giving up its contents (zeroed
     * through {@code ctx}, null when contents are elided). Returns whether it converted (false
     * outside guest_memfd memslots).
     */
    public boolean convert(long gfn, PageInstaller.Context ctx) {
        return apply(scratch.set(HostEvent.CONVERT, gfn, 0), ctx);
    }
}
