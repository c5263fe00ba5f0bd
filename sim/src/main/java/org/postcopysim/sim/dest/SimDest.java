package org.postcopysim.sim.dest;

import java.util.ArrayList;
import java.util.List;
import org.postcopysim.dest.fault.UffdCopier;
import org.postcopysim.dest.fault.UffdPaths;
import org.postcopysim.dest.model.DestModel;
import org.postcopysim.dest.uffd.WakeSink;
import org.postcopysim.guest.SplitMix64;
import org.postcopysim.sim.cost.Cost;
import org.postcopysim.sim.cost.CostModel;
import org.postcopysim.sim.engine.AffinePhases;
import org.postcopysim.sim.engine.CpuPool;
import org.postcopysim.sim.engine.SimLock;
import org.postcopysim.sim.engine.SimRwLock;
import org.postcopysim.sim.engine.Simulator;

/**
 * The simulated destination host around one {@link DestModel}: its CPUs, the host mm's lock, each
 * uffd's wait-queue lock and poll-queue lock, the vCPU and reader actors, and the wake-ups the
 * model's installs and wake walks cause. It is the model's {@link DestModel.Hooks}: a UFFDIO_COPY
 * runs the model's {@link UffdPaths#copy} directly, because the simulated actor that calls it
 * already holds the simulated lock; every waiter the model wakes is collected and woken, after
 * the thread wake-up latency, by the actor that caused it once it has charged its own costs.
 */
public final class SimDest implements DestModel.Hooks, WakeSink {
    private static final long PHASE_SEED_SALT = 0xAFF1_9E5EL;
    final Simulator sim;
    final CostModel costs;
    final CpuPool cpus;
    final SimLock mmLock;
    /** KVM's mmu_lock (x86 TDP MMU: an rwlock); taken only when {@link #steppedFaults} is on. */
    final SimRwLock mmuLock;
    private boolean steppedFaults;
    /** Stepped faults whose commit, under the MMU lock, had to retry (an invalidation since their lookup). */
    long commitRetries;
    private long mmuChecks;
    private final double jitter;
    private SimLock[] queueLocks = new SimLock[0];
    private SimLock[] pollLocks = new SimLock[0];
    private UffdPaths paths;
    private DestModel model;
    private final List<SimVcpu> vcpus = new ArrayList<>();
    /** Per uffd, the readers asleep in poll right now (woken all at once: the herd). */
    private final List<List<SimReader>> pollers = new ArrayList<>();
    /** vCPU ids woken by the last step (uffd wakes and pages made present). */
    private final IntList woken = new IntList();
    /** Per vCPU: the page it waits to become present, or -1. */
    private long[] waitingFor = new long[0];
    private int presenceWaiters;
    private Runnable onAllPresent = () -> { };
    /** The share of the uffd path's wake-ups placed on the waker's CPU ({@code wake-affine}, %). */
    private final long affinePercent;
    /** Placement in phases ({@code wake-affine-run} above 0), else null: each wake-up drawn on its own. */
    private final AffinePhases phases;
    private long wakeWalksCharged;
    private long wakeWalkVisitsCharged;
    private long wakeWalkChargedNs;

    /** @param seed the run's seed (the placement phases are drawn from it) */
    public SimDest(Simulator sim, CostModel costs, int maxThreads, long seed) {
        this.sim = sim;
        this.costs = costs;
        this.jitter = costs.get(Cost.JITTER_PERCENT) / 100.0;
        if (jitter >= 1) throw new IllegalArgumentException("jitter must be below 100%, got " + costs.get(Cost.JITTER_PERCENT));
        this.affinePercent = costs.get(Cost.WAKE_AFFINE_PERCENT);
        if (affinePercent > 100) {
            throw new IllegalArgumentException("wake-affine is a share (of the wake-ups, or of the time in phases): at most "
                    + "100%, got " + affinePercent);
        }
        this.cpus = new CpuPool(sim, (int) costs.get(Cost.HOST_CPUS), costs.get(Cost.CONTEXT_SWITCH_NS), maxThreads);
        long phaseUs = costs.get(Cost.WAKE_AFFINE_RUN_US);
        this.phases = affinePercent == 0 || phaseUs == 0 ? null
                : new AffinePhases(affinePercent, phaseUs * 1_000, SplitMix64.fork(seed ^ PHASE_SEED_SALT, 0));
        if (phases != null) cpus.placeInPhases(phases);
        cpus.protectSlices(costs.get(Cost.SCHED_SLICE_US) * 1_000);
        cpus.protectCacheHot(costs.get(Cost.MIGRATION_COST_US) * 1_000);
        // The host mm's serialization stands for the page allocator's and page tables' locks, which hand
        // off at a constant cost (per-CPU lists, split page-table locks): no per-spinner growth.
        this.mmLock = new SimLock(sim, "host-mm", costs.get(Cost.LOCK_ACQUIRE_NS), costs.get(Cost.LOCK_HANDOFF_NS), 0, 0,
                maxThreads);
        this.mmuLock = new SimRwLock(sim, "kvm-mmu", costs.get(Cost.LOCK_ACQUIRE_NS), costs.get(Cost.LOCK_HANDOFF_NS),
                maxThreads);
    }

    /**
     * vCPU stage-2 faults are stepped ({@code GuestAccess.begin}, then {@code commit} under the
     * MMU lock's read side, as separate events), so that host events, which take its write side,
     * interleave with them; off by default (the calibrated runs charge a fault in one step).
     * Before the vCPUs start.
     */
    public void steppedFaults(boolean on) {
        this.steppedFaults = on;
    }

    public boolean steppedFaults() {
        return steppedFaults;
    }

    /** Stepped faults whose commit under the MMU lock's read side returned RETRY: their lookup straddled an invalidation. */
    public long commitRetries() {
        return commitRetries;
    }

    /**
     * The MMU invariants checked now, between two events (the one thread that drives the model,
     * between two steps, as {@link org.postcopysim.dest.kvm.MmuInvariants} allows; an event caught
     * between its begin and end is an invalidation in progress, which the invariants account for).
     * Reads the model only, schedules nothing, so the trace is unchanged. Returns null when every
     * invariant holds, else the failure naming the broken ones and the virtual time.
     */
    public String checkMmuNow() {
        mmuChecks++;
        java.util.List<String> v = model.mmuViolations();
        if (v.isEmpty()) return null;
        return "MMU invariants violated at " + sim.nowNs() + " ns of virtual time (" + v.size() + "): " + String.join("; ", v);
    }

    /** Checks of the MMU invariants during the run ({@link #checkMmuNow}). */
    public long mmuChecks() {
        return mmuChecks;
    }

    /** KVM's mmu_lock. */
    public SimRwLock mmuLock() {
        return mmuLock;
    }

    /** Binds the model built with this object as its hooks. */
    public void bind(DestModel m, int maxThreads) {
        this.model = m;
        this.waitingFor = new long[m.vcpus().isEmpty() ? 1024 : m.vcpus().size()];
        java.util.Arrays.fill(waitingFor, -1);
        if (paths != null) {
            int n = paths.uffds().count();
            queueLocks = new SimLock[n];
            pollLocks = new SimLock[n];
            for (int u = 0; u < n; u++) {
                queueLocks[u] = new SimLock(sim, "uffd-" + u + "-wqh", costs.get(Cost.LOCK_ACQUIRE_NS),
                        costs.get(Cost.LOCK_HANDOFF_NS), costs.get(Cost.LOCK_HANDOFF_PER_SPINNER_NS),
                        costs.get(Cost.LOCK_HANDOFF_MAX_NS), maxThreads);
                pollLocks[u] = new SimLock(sim, "uffd-" + u + "-poll", costs.get(Cost.LOCK_ACQUIRE_NS),
                        costs.get(Cost.LOCK_HANDOFF_NS), costs.get(Cost.LOCK_HANDOFF_PER_SPINNER_NS),
                        costs.get(Cost.LOCK_HANDOFF_MAX_NS), maxThreads);
                pollers.add(new ArrayList<>());
            }
        }
    }

    public void onAllPresent(Runnable r) {
        this.onAllPresent = r;
    }

    @Override
    public UffdCopier uffdCopier(UffdPaths p) {
        this.paths = p;
        return pageIndex -> p.copy(pageIndex, this);
    }

    @Override
    public void onInstalled(long pageIndex, long gfn, boolean last) {
        if (presenceWaiters > 0) {
            for (int v = 0; v < waitingFor.length; v++) {
                if (waitingFor[v] == pageIndex) {
                    waitingFor[v] = -1;
                    presenceWaiters--;
                    woken.add(v);
                }
            }
        }
        if (last) onAllPresent.run();
    }

    /** A uffd wake walk woke vCPU {@code waiterId}. */
    @Override
    public void wake(int waiterId) {
        woken.add(waiterId);
    }

    /** vCPU {@code v} sleeps until {@code pageIndex} is present (it checked, under the model, that it is not). */
    void waitForPresent(int v, long pageIndex) {
        if (v >= waitingFor.length) waitingFor = java.util.Arrays.copyOf(waitingFor, v + 1);
        waitingFor[v] = pageIndex;
        presenceWaiters++;
    }

    /** Wakes, {@code delayNs} from now, every vCPU the last step woke (each then {@link #wake}s). */
    public void flushWakes(long delayNs) {
        for (int i = 0; i < woken.size(); i++) vcpus.get(woken.get(i)).wokenIn(delayNs, -1);
        woken.clear();
    }

    /** Wakes now every vCPU in {@code p} (an actor's own, from {@link #wakeWalkHoldNs}), each as placed there. */
    public void flushWakes(PendingWakes p) {
        for (int i = 0; i < p.size(); i++) vcpus.get(p.vcpus.get(i)).wokenIn(0, p.placedWith.get(i));
        p.clear();
    }

    /** Moves the vCPUs the last step woke into {@code p}, not placed: its owner wakes them later. */
    private void takeWoken(PendingWakes p) {
        for (int i = 0; i < woken.size(); i++) {
            p.vcpus.add(woken.get(i));
            p.placedWith.add(-1);
        }
        woken.clear();
    }

    /**
     * Thread {@code actor} is woken now. When a CPU is idle it is woken onto it: the CPU is its
     * from now, and it gets {@code runKind} after {@code thread-wakeup}. When none is, it is
     * queued on a busy CPU at once, ahead of the threads that have been running (see
     * {@link CpuPool#acquireWoken}; with {@code migration-cost} above 0, on the run queue of the
     * CPU it last held), and gets {@code runKind} once it has a CPU. Returns whether
     * it found an idle CPU (its CPU time then is {@code wakeup-cpu}, else {@code wakeup-cpu-busy}:
     * see {@link #wakeupCpuNs}).
     */
    boolean wake(int actor, int runKind, int placedWith) {
        // Placed with a waker that has slept meanwhile: there is no CPU of the waker's to wait for: it wakes as any other.
        if (placedWith >= 0 && cpus.cpuOf(placedWith) >= 0) {
            cpus.acquireOnCpuOf(placedWith, actor, runKind);
            return false;
        }
        if (cpus.tryReserve(actor)) {
            sim.schedule(costs.get(Cost.THREAD_WAKEUP_NS), actor, runKind);
            return true;
        }
        cpus.acquireWoken(actor, runKind);
        return false;
    }

    /** Whether the uffd-path wake-up a thread issues now is placed on its own CPU ({@code wake-affine}). */
    private boolean drawAffine(SplitMix64 rng) {
        if (affinePercent == 0) return false;
        if (phases != null) return phases.placing(sim.nowNs());
        return affinePercent >= 100 || rng.nextLong(100) < affinePercent;
    }

    /**
     * The waker's CPU time for {@code threads} uffd-path wake-ups {@code waker} issues now, each
     * placed as Linux's wake-affine placement would: on the waker's CPU, at the busy price, as
     * often as {@code wake-affine} says ({@link #drawAffine}). Drawn wake-up by wake-up, only while
     * no other thread waits for that CPU (a loaded CPU loses the comparison of wake_affine_weight,
     * and a queue there would keep the thread the waker preempted waiting); in a placement phase
     * ({@code wake-affine-run}), whatever waits there, as the kernel piled every thread of a
     * shared uffd onto one CPU. The others are priced as {@link #wakerNs}
     * (onto an idle CPU while one is free, else onto a busy CPU's queue). Each placement is set
     * in {@code placedWith} from index {@code from} on ({@code waker} when on its CPU, else -1).
     */
    private long uffdWakerNs(int threads, SplitMix64 rng, int waker, IntList placedWith, int from) {
        if (affinePercent == 0) return wakerNs(threads, rng);
        int idle = cpus.free();
        int wakerCpu = cpus.cpuOf(waker);
        int queued = wakerCpu < 0 ? 0 : cpus.waitingOn(wakerCpu);
        long ns = 0;
        for (int i = 0; i < threads; i++) {
            // Drawn on its own, a wake-up is placed only onto an uncrowded CPU; in a placement phase, whatever waits there.
            boolean affine = wakerCpu >= 0 && (queued == 0 || phases != null) && drawAffine(rng);
            if (affine) queued++;
            placedWith.set(from + i, affine ? waker : -1);
            if (!affine && idle > 0) {
                idle--;
                ns += cost(Cost.WAKER_CPU_NS, rng);
            } else {
                ns += cost(Cost.WAKER_CPU_BUSY_NS, rng);
            }
        }
        return ns;
    }

    /** The CPU time a woken thread spends before it runs on: {@code onIdleCpu} as {@link #wake} returned. */
    long wakeupCpuNs(boolean onIdleCpu, SplitMix64 rng) {
        return cost(onIdleCpu ? Cost.WAKEUP_CPU_NS : Cost.WAKEUP_CPU_BUSY_NS, rng);
    }

    /**
     * The waker's CPU time for waking {@code threads} threads now: as many as there are idle
     * CPUs are woken onto one ({@code waker-cpu} each), the others onto a busy CPU's run queue
     * ({@code waker-cpu-busy}).
     */
    long wakerNs(int threads, SplitMix64 rng) {
        if (threads == 0) return 0;
        int idle = Math.min(threads, cpus.free());
        return idle * cost(Cost.WAKER_CPU_NS, rng) + (threads - idle) * cost(Cost.WAKER_CPU_BUSY_NS, rng);
    }

    /**
     * A fault wakes the readers asleep in poll on uffd {@code u} (the herd, as many as the model
     * counted): returns the poll-queue lock's hold for it (the per-poller walk and the waker's CPU
     * time, {@link #uffdWakerNs}), at the end of which each reader is woken.
     */
    long wakePollers(int u, SplitMix64 rng, int waker) {
        int n = paths.pollers(u);
        long hold = n * cost(Cost.UFFD_POLL_WAKE_PER_POLLER_NS, rng); // drawn even for none: the trace stays as it was
        if (n == 0) return 0;
        herdPlacedWith.clear();
        for (int i = 0; i < n; i++) herdPlacedWith.add(-1);
        hold += uffdWakerNs(n, rng, waker, herdPlacedWith, 0);
        int counted = paths.pollWakeups(u);
        List<SimReader> herd = pollers.get(u);
        if (herd.size() != counted || counted != n) {
            throw new IllegalStateException("uffd " + u + ": model counted " + counted + " pollers, simulator " + herd.size());
        }
        for (int i = 0; i < herd.size(); i++) herd.get(i).wokenIn(hold, herdPlacedWith.get(i));
        herd.clear();
        return hold;
    }

    /** Scratch: the placement of each reader of the last poll herd (as {@link PendingWakes}'s). */
    private final IntList herdPlacedWith = new IntList();

    void addVcpu(SimVcpu v) {
        vcpus.add(v);
    }

    /** Reader {@code r} sleeps in poll on uffd {@code u}. */
    void polling(int u, SimReader r) {
        pollers.get(u).add(r);
    }

    SimLock queueLock(int u) {
        return queueLocks[u];
    }

    SimLock pollLock(int u) {
        return pollLocks[u];
    }

    public Simulator sim() {
        return sim;
    }

    /** The uffd registered over dense page {@code pageIndex}, or -1 (also when the mode has no uffd). */
    public int uffdOf(long pageIndex) {
        return paths == null ? -1 : paths.uffdOf(pageIndex);
    }

    /** The wait-queue lock of uffd {@code u}. */
    public SimLock queueLockOf(int u) {
        return queueLocks[u];
    }

    /** Sleepers visited by uffd {@code u}'s wake walks so far (the model's count). */
    public long visited(int u) {
        return paths.uffds().get(u).waitersVisited();
    }

    public DestModel model() {
        return model;
    }

    UffdPaths paths() {
        return paths;
    }

    public List<SimVcpu> vcpus() {
        return vcpus;
    }

    public CpuPool cpuPool() {
        return cpus;
    }

    /**
     * The lock hold of a wake walk that visited {@code visited} sleepers (the model's count): the
     * walk's fixed part plus the per-waiter cost times {@code visited}, plus the waker's CPU time
     * for the threads it woke ({@link #wakerNs}), charged and totalled.
     */
    public long wakeWalkHoldNs(long visited, SplitMix64 rng, PendingWakes p) {
        int threads = woken.size();
        takeWoken(p);
        return chargeWakeWalk(cost(Cost.UFFD_WAKE_HOLD_NS, rng) + visited * cost(Cost.UFFD_WAKE_PER_WAITER_NS, rng)
                + wakerNs(threads, rng), visited);
    }

    /**
     * As {@link #wakeWalkHoldNs}, for a uffd reader's ioctl: each thread it woke is placed on the
     * reader's CPU or not as {@code wake-affine} draws ({@link #uffdWakerNs}).
     */
    long uffdWakeWalkHoldNs(long visited, SplitMix64 rng, int waker, PendingWakes p) {
        long walk = cost(Cost.UFFD_WAKE_HOLD_NS, rng) + visited * cost(Cost.UFFD_WAKE_PER_WAITER_NS, rng);
        int threads = woken.size();
        int from = p.size();
        takeWoken(p);
        return chargeWakeWalk(walk + uffdWakerNs(threads, rng, waker, p.placedWith, from), visited);
    }

    private long chargeWakeWalk(long hold, long visited) {
        wakeWalksCharged++;
        wakeWalkVisitsCharged += visited;
        wakeWalkChargedNs += hold;
        return hold;
    }

    /** Wake walks charged, the sleepers they visited, and the lock time charged for them (ns). */
    public long wakeWalksCharged() {
        return wakeWalksCharged;
    }

    public long wakeWalkVisitsCharged() {
        return wakeWalkVisitsCharged;
    }

    public long wakeWalkChargedNs() {
        return wakeWalkChargedNs;
    }

    /** Acquisitions of any simulated lock (host mm, every uffd's queue and poll locks) that had to wait. */
    public long lockContended() {
        long n = mmLock.contended();
        for (SimLock l : queueLocks) n += l.contended();
        for (SimLock l : pollLocks) n += l.contended();
        return n;
    }

    long cost(Cost c) {
        return costs.get(c);
    }

    /** {@code c}'s value with this step's jitter drawn from {@code rng} (each thread has its own stream). */
    public long cost(Cost c, SplitMix64 rng) {
        long ns = costs.get(c);
        if (jitter == 0 || ns == 0) return ns;
        return Math.max(0, Math.round(ns * (1 - jitter + 2 * jitter * rng.nextDouble())));
    }
}
