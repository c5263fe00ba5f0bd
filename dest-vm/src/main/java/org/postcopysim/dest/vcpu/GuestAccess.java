package org.postcopysim.dest.vcpu;

import org.postcopysim.dest.kvm.AccessResult;
import org.postcopysim.dest.kvm.MemoryFaultExit;
import org.postcopysim.dest.kvm.PfnCache;
import org.postcopysim.dest.kvm.Stage2Fault;
import org.postcopysim.dest.kvm.Vm;
import org.postcopysim.guest.AccessStream;
import org.postcopysim.guest.GuestVcpu;
import org.postcopysim.guest.GuestWriteLog;
import org.postcopysim.guest.SplitMix64;
import org.postcopysim.memory.AtomicBitmap;
import org.postcopysim.memory.GuestMemory;

/**
 * One destination vCPU's guest access semantics, as plain data and methods: which page the guest
 * touches next and how ({@link #next}), whether KVM itself makes the access (it then cannot
 * exit), the access through the model's stage-2 ({@link #attempt}), and what the access does once
 * it maps ({@link #complete}). The guest's own part, the workload and what a read or a write does
 * to memory, is {@link GuestVcpu}'s, the same code the source's vCPUs run during precopy: a read
 * checks one word against the source's generated contents, so a vCPU reading a page before its
 * contents are in place is caught and counted; a write adds 1 to the page's counter word and to
 * the {@link GuestWriteLog}. Pacing, waiting and threads are the runner's. Confined to its vCPU;
 * allocates nothing (a failure text only on a stale read).
 *
 * <p>With contents elided (no guest memory: the simulator's large guests) reads and writes are
 * counted but touch no memory; the page was present when the access mapped, which is what the
 * model guarantees.
 *
 * <p>Each access that completes marks its page in the model's touched-pages bitmap (shared by
 * every vCPU; set once per page, read otherwise), the denominator of the network-bound fault
 * fraction.
 *
 * <p>KVM's own accesses go through the vCPU's {@link PfnCache} when it has one (the
 * uffd+kvm-userfault mode), else through the host address each time; they reach shared memory
 * only, so an internal access to a private gfn is made by the vCPU instead. A read of a page
 * whose contents the guest gave up in a conversion ({@link Vm#isConverted}) sees zeros.
 */
public final class GuestAccess {
    private final int vcpu;
    private final Vm vm;
    private final GuestVcpu guest;
    private final double internalFraction;
    private final SplitMix64 internalRng;
    private final VcpuCounters counters;
    private final PfnCache cache;
    private final AtomicBitmap touched;
    private final MemoryFaultExit exit = new MemoryFaultExit();
    private final Stage2Fault fault = new Stage2Fault();

    private long pageIndex;
    private long gfn;
    private boolean write;
    private boolean internal;
    private String failure;

    /**
     * @param memory           guest memory, or null when contents are elided
     * @param internalFraction fraction of accesses made by KVM itself on this vCPU's behalf,
     *                         which cannot exit (0..1)
     * @param internalSeed     seed of the internal-access draw
     */
    public GuestAccess(int vcpu, Vm vm, GuestMemory memory, GuestWriteLog writeLog, AccessStream stream,
                       long contentSeed, double internalFraction, long internalSeed, VcpuCounters counters) {
        this(vcpu, vm, memory, writeLog, stream, contentSeed, internalFraction, internalSeed, counters, null, null);
    }

    /**
     * @param cache   the vCPU's gfn-to-pfn cache for KVM's own accesses, or null to go through the host each time
     * @param touched the pages the guest touched, one bit per dense page index, or null not to track them
     */
    public GuestAccess(int vcpu, Vm vm, GuestMemory memory, GuestWriteLog writeLog, AccessStream stream,
                       long contentSeed, double internalFraction, long internalSeed, VcpuCounters counters, PfnCache cache,
                       AtomicBitmap touched) {
        if (!(internalFraction >= 0 && internalFraction <= 1)) {
            throw new IllegalArgumentException("internal access fraction must be within 0..1, got " + internalFraction);
        }
        this.vcpu = vcpu;
        this.vm = vm;
        this.guest = new GuestVcpu(vm.layout(), memory, writeLog, stream, contentSeed);
        this.internalFraction = internalFraction;
        this.internalRng = new SplitMix64(internalSeed);
        this.counters = counters;
        this.cache = cache;
        this.touched = touched;
    }

    /** The vCPU's pfn cache, or null. */
    public PfnCache pfnCache() {
        return cache;
    }

    public int vcpu() {
        return vcpu;
    }

    public VcpuCounters counters() {
        return counters;
    }

    /** The exit or host fault data of the last {@link #attempt} that faulted. */
    public MemoryFaultExit exit() {
        return exit;
    }

    /** Draws the next guest access. */
    public void next() {
        guest.next();
        pageIndex = guest.pageIndex();
        gfn = guest.gfn();
        write = guest.isWrite();
        internal = internalFraction > 0 && internalRng.nextDouble() < internalFraction;
        if (internal) counters.internalAccesses++;
    }

    /**
     * The current access through the model in one call: {@link Vm#access} for the vCPU, or, for
     * KVM's own accesses, its pfn cache ({@link PfnCache#access}) or {@link Vm#accessInternal}.
     * Returns an {@link AccessResult}; an {@link AccessResult#EXIT_MEMORY_FAULT} is counted as an
     * exit.
     */
    public int attempt() {
        int r;
        if (viaKvm()) {
            r = cache != null ? cache.access(gfn, write, exit) : vm.accessInternal(gfn, write, exit);
        } else {
            r = vm.access(gfn, write, exit);
        }
        if (r == AccessResult.EXIT_MEMORY_FAULT) counters.exits++;
        return r;
    }

    /**
     * The current access, stepped, for a runner that takes its MMU lock over the install: for
     * the vCPU, {@link Vm#faultBegin}; {@link AccessResult#FAULT_IN} means "call {@link #commit}
     * next, under the lock". KVM's own accesses need no such step: this returns their result
     * outright, as {@link #attempt} does. An exit is counted.
     */
    public int begin() {
        if (viaKvm()) return attempt();
        int r = vm.faultBegin(fault, gfn, write, exit);
        if (r == AccessResult.EXIT_MEMORY_FAULT) counters.exits++;
        return r;
    }

    /** After {@link #begin} returned {@link AccessResult#FAULT_IN}: {@link Vm#faultCommit}, MAPPED or RETRY. */
    public int commit() {
        return vm.faultCommit(fault);
    }

    /** KVM makes the current access itself, through the host address: only to shared memory. */
    private boolean viaKvm() {
        return internal && !vm.isPrivate(gfn);
    }

    /**
     * Whether {@link #attempt} would hit right now: a pure look at stage-2 (or, for KVM's own
     * accesses, at the pfn cache or the host mapping), with no side effect, so a runner may batch
     * hits.
     */
    public boolean wouldHit() {
        if (viaKvm()) {
            if (cache != null) return cache.check(gfn, write);
            return write ? vm.host().isWritable(pageIndex) : vm.host().isMapped(pageIndex);
        }
        var slot = vm.memslotOfGfn(gfn);
        return slot != null && slot.stage2().permits(gfn, write);
    }

    /** The current access mapped: do it. Returns false on a stale read (see {@link #failureText()}). */
    public boolean complete() {
        counters.accesses++;
        if (touched != null && !touched.get(pageIndex)) touched.testAndSet(pageIndex);
        int r = guest.complete();
        if (r == GuestVcpu.WROTE) {
            counters.writes++;
            return true;
        }
        counters.reads++;
        if (r == GuestVcpu.READ_OK) return true;
        long seen = guest.seenWord();
        // The guest gave the contents up in a conversion: the page is zero since (a read racing
        // the conversion may still see the old word).
        if (seen == 0 && vm.isConverted(pageIndex)) return true;
        counters.staleReads++;
        failure = String.format("vcpu-%d read gfn 0x%x word %d and saw a value the source never had (page read before its "
                + "contents were in place, or installed with wrong contents): saw 0x%x, source has 0x%x",
                vcpu, gfn, guest.word(), seen, guest.expectedWord());
        return false;
    }

    /** Whether the current access writes. */
    public boolean isWrite() {
        return write;
    }

    /** Whether KVM itself makes the current access (it cannot exit). */
    public boolean isInternal() {
        return internal;
    }

    /** Gfn of the current access. */
    public long gfn() {
        return gfn;
    }

    /** Dense page index of the current access. */
    public long pageIndex() {
        return pageIndex;
    }

    /** Why {@link #complete} returned false. */
    public String failureText() {
        return failure;
    }
}
