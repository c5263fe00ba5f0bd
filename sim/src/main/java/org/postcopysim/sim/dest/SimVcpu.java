package org.postcopysim.sim.dest;

import org.postcopysim.dest.fault.FaultPath;
import org.postcopysim.dest.fault.PageProvider;
import org.postcopysim.dest.fetch.FaultMode;
import org.postcopysim.dest.fetch.PageInstaller;
import org.postcopysim.dest.kvm.AccessResult;
import org.postcopysim.dest.kvm.PfnCache;
import org.postcopysim.dest.model.DestModel;
import org.postcopysim.dest.vcpu.GuestAccess;
import org.postcopysim.dest.vcpu.VcpuCounters;
import org.postcopysim.guest.SplitMix64;
import org.postcopysim.sim.cost.Cost;
import org.postcopysim.sim.engine.Actor;

/**
 * One vCPU thread as a simulated actor: the KVM_RUN loop of the thread runner, driven by events.
 * Each step calls the same model as the thread runner ({@link GuestAccess}, {@link FaultPath},
 * the uffd paths, the installer) and charges the step's cost from the cost model: a hit, a
 * stage-2 fault, an exit to userspace, a host fault into the uffd wait queue (under the simulated
 * wait-queue lock, then the poll wake-ups under the poll lock), a page it fetches itself (copy,
 * allocation under the host mm lock, install), a wake-up. It holds a simulated CPU while it runs
 * or spins on a lock and gives it up while it sleeps.
 */
public final class SimVcpu implements Actor {
    static final int START = 0;
    static final int RUN = 1;
    static final int COMPLETE = 2;
    static final int EXIT = 3;
    static final int HOST_FAULT = 4;
    static final int RESUME = 5;
    static final int RETRY = 6;
    static final int JOB_DELAYED = 7;
    static final int JOB_COPY = 8;
    static final int MM_REQUEST = 9;
    static final int MM_GRANTED = 10;
    static final int MM_RELEASE = 11;
    static final int INSTALL_LOCKED = 12;
    static final int INSTALL_UNLOCK = 13;
    static final int ENQUEUE_GRANTED = 14;
    static final int ENQUEUE_RELEASE = 15;
    static final int POLL_GRANTED = 16;
    static final int POLL_RELEASE = 17;
    static final int WOKEN = 18;
    static final int WOKEN_RUN = 19;
    static final int COMMIT_REQUEST = 20;
    static final int COMMIT_GRANTED = 21;
    static final int COMMIT_MAPPED = 22;
    static final int COMMIT_RETRY = 23;
    static final int RUN_ON = 24;
    /** Salt of the seeds of the vCPUs' cost jitter. */
    static final long COST_SEED_SALT = 0x5C0575EEDL;

    private final SimDest d;
    private final int id;
    private final int actor;
    private final GuestAccess access;
    private final FaultPath path;
    private final VcpuCounters counters;
    private final SimLocalPages local;
    private final PageInstaller.Context ctx;
    private final FaultMode mode;
    private final long maxAccesses;
    private final Listener listener;
    private final SplitMix64 rng;

    /** Most hits done in one event. */
    static final int MAX_HIT_BURST = 256;

    private boolean sleeping;
    private boolean stopped;
    private long accessIntervalNs;
    private boolean wokenEarly;
    private boolean wokeOnIdleCpu;
    /** The actor whose CPU its last wake-up placed it on ({@code wake-affine}), or -1. */
    private int placedWith = -1;
    /** The vCPUs its install's wake walk woke, woken at the install's unlock. */
    private final PendingWakes pending = new PendingWakes();
    private boolean queued;
    private long resumeDelayNs;
    private long jobGfn;
    private long jobPage;
    private int jobUffd;
    private long visitedBefore;
    private long startedNs = -1;
    private long finishedNs = -1;

    /** Told when the vCPU has done its accesses, or failed. */
    public interface Listener {
        void onDone(SimVcpu v);

        void onFailure(String why);
    }

    /**
     * @param local       the local pages when this vCPU fetches pages itself (fault benchmark), else null
     * @param ctx         install context (null when contents are elided)
     * @param maxAccesses accesses before it is done (0 = until the simulation stops)
     * @param seed        the run's seed (its cost jitter is forked from it)
     */
    public SimVcpu(SimDest d, DestModel.Vcpu v, SimLocalPages local, PageInstaller.Context ctx, long maxAccesses,
                   long seed, Listener listener) {
        this.rng = new SplitMix64(SplitMix64.fork(seed ^ COST_SEED_SALT, v.id()));
        this.d = d;
        this.id = v.id();
        this.access = v.access();
        this.path = v.path();
        this.counters = v.counters();
        this.local = local;
        this.ctx = ctx;
        this.mode = d.model().rig().options.mode();
        this.maxAccesses = maxAccesses;
        this.listener = listener;
        this.actor = d.sim.register(this);
        d.addVcpu(this);
    }

    public int id() {
        return id;
    }

    public VcpuCounters counters() {
        return counters;
    }

    /** Virtual time of its first access and of its last (ns; -1 before). */
    public long startedNs() {
        return startedNs;
    }

    public long finishedNs() {
        return finishedNs;
    }

    /** Starts the vCPU {@code delayNs} from now. */
    public void start(long delayNs) {
        d.sim.schedule(delayNs, actor, START);
    }

    /**
     * Its page is present or a uffd wake named it: it runs again {@code delayNs} from now, placed
     * on {@code waker}'s CPU ({@code wake-affine}; -1: not placed).
     */
    void wokenIn(long delayNs, int waker) {
        if (sleeping) {
            sleeping = false;
            placedWith = waker;
            d.sim.schedule(delayNs, actor, WOKEN);
        } else {
            wokenEarly = true; // still running: it finds the wake before it sleeps
        }
    }

    @Override
    public void onEvent(int kind) {
        switch (kind) {
            case START:
                startedNs = d.sim.nowNs();
                d.cpus.acquire(actor, RUN);
                break;
            case RUN:
                next();
                break;
            case RUN_ON:
                // Between two bursts of hits: a woken thread waiting for a CPU preempts this one.
                d.cpus.runOnOrYield(actor, RUN);
                break;
            case COMPLETE:
                if (!access.complete()) {
                    fail(access.failureText());
                    return;
                }
                next();
                break;
            case EXIT:
                onExit();
                break;
            case HOST_FAULT:
                onHostFault();
                break;
            case RESUME:
                path.resumed(d.sim.nowNs());
                attempt();
                break;
            case RETRY:
                attempt();
                break;
            case JOB_DELAYED:
                d.cpus.acquire(actor, JOB_COPY);
                break;
            case JOB_COPY:
                d.sim.schedule(jobWorkNs(), actor, MM_REQUEST);
                break;
            case MM_REQUEST:
                d.mmLock.acquire(actor, MM_GRANTED);
                break;
            case MM_GRANTED:
                d.sim.schedule(d.cost(Cost.MM_LOCK_HOLD_NS, rng), actor, MM_RELEASE);
                break;
            case MM_RELEASE:
                d.mmLock.release();
                if (mode == FaultMode.UFFD_KVM_USERFAULT) {
                    jobUffd = d.paths().uffdOf(jobPage);
                    d.queueLock(jobUffd).acquire(actor, INSTALL_LOCKED);
                } else {
                    if (!install()) return;
                    d.flushWakes(0);
                    d.sim.schedule(resumeDelayNs, actor, RESUME);
                }
                break;
            case INSTALL_LOCKED: {
                visitedBefore = d.paths().uffds().get(jobUffd).waitersVisited();
                if (!install()) return;
                long visited = d.paths().uffds().get(jobUffd).waitersVisited() - visitedBefore;
                long hold = d.wakeWalkHoldNs(visited, rng, pending);
                d.sim.schedule(hold, actor, INSTALL_UNLOCK);
                break;
            }
            case INSTALL_UNLOCK:
                d.queueLock(jobUffd).release();
                d.flushWakes(pending);
                d.sim.schedule(resumeDelayNs, actor, RESUME);
                break;
            case ENQUEUE_GRANTED:
                queued = d.paths().fault(path.uffdIndex(), id, path.pageIndex(), access.isWrite());
                d.sim.schedule(d.cost(Cost.UFFD_ENQUEUE_HOLD_NS, rng), actor, ENQUEUE_RELEASE);
                break;
            case ENQUEUE_RELEASE:
                d.queueLock(path.uffdIndex()).release();
                if (!queued) {
                    // The page was mapped meanwhile (must-wait said no): get_user_pages retries at once.
                    wokenEarly = false;
                    d.sim.schedule(resumeDelayNs, actor, RESUME);
                } else {
                    d.pollLock(path.uffdIndex()).acquire(actor, POLL_GRANTED);
                }
                break;
            case POLL_GRANTED: {
                long hold = d.wakePollers(path.uffdIndex(), rng, actor);
                d.sim.schedule(hold, actor, POLL_RELEASE);
                break;
            }
            case POLL_RELEASE:
                d.pollLock(path.uffdIndex()).release();
                sleepUnlessWoken(0);
                break;
            case WOKEN:
                wokeOnIdleCpu = d.wake(actor, WOKEN_RUN, placedWith);
                break;
            case WOKEN_RUN:
                d.sim.schedule(resumeDelayNs + d.wakeupCpuNs(wokeOnIdleCpu, rng), actor, RESUME);
                break;
            case COMMIT_REQUEST:
                d.mmuLock.acquireRead(actor, COMMIT_GRANTED);
                break;
            case COMMIT_GRANTED: {
                // mmu_invalidate_retry and the install, under the read side.
                int r = access.commit();
                d.sim.schedule(d.cost(Cost.STAGE2_COMMIT_HOLD_NS, rng), actor,
                        r == AccessResult.MAPPED ? COMMIT_MAPPED : COMMIT_RETRY);
                break;
            }
            case COMMIT_MAPPED:
                d.mmuLock.releaseRead();
                d.sim.schedule(0, actor, COMPLETE);
                break;
            case COMMIT_RETRY:
                // RET_PF_RETRY: back into the guest, which faults again at once.
                d.mmuLock.releaseRead();
                d.commitRetries++;
                d.sim.schedule(0, actor, RETRY);
                break;
            default:
                throw new IllegalStateException("vcpu-" + id + ": unknown event " + kind);
        }
    }

    /**
     * The next accesses: hits are done in a burst of at most {@link #MAX_HIT_BURST} in one event,
     * each charged its time; the first access that would not hit is attempted when the burst's
     * time has passed (a page arriving meanwhile is then seen present, as it would be).
     */
    private void next() {
        long spentNs = 0;
        for (int burst = 0; ; burst++) {
            if (stopped || (maxAccesses > 0 && counters.accesses >= maxAccesses)) {
                if (spentNs > 0) {
                    d.sim.schedule(spentNs, actor, RUN); // finish once the burst's time has passed
                    return;
                }
                finishedNs = d.sim.nowNs();
                d.cpus.release(actor);
                listener.onDone(this);
                return;
            }
            if (burst == MAX_HIT_BURST) {
                d.sim.schedule(spentNs, actor, RUN_ON);
                return;
            }
            access.next();
            if (!access.wouldHit()) {
                d.sim.schedule(spentNs, actor, RETRY);
                return;
            }
            access.attempt();
            if (!access.complete()) {
                fail(access.failureText());
                return;
            }
            spentNs += hitNs();
        }
    }

    /** Time of one access that hits: the guest's pace, or the bare access when it runs flat out. */
    private long hitNs() {
        return accessIntervalNs > 0 ? accessIntervalNs : d.cost(Cost.GUEST_ACCESS_NS, rng);
    }

    /** Paces the vCPU: one access every {@code ns} of virtual time (0 = flat out). */
    public void accessIntervalNs(long ns) {
        this.accessIntervalNs = ns;
    }

    /** Stops the vCPU at its next step (the migration is over). */
    public void stop() {
        stopped = true;
    }

    private void attempt() {
        // KVM's own accesses (uffd+kvm-userfault with internal accesses) go through the vCPU's pfn
        // cache: the model's counters tell whether this one refreshed the entry or retried.
        PfnCache cache = access.isInternal() ? access.pfnCache() : null;
        long refreshesBefore = cache == null ? 0 : cache.refreshes();
        long retriesBefore = cache == null ? 0 : cache.retries();
        int r = d.steppedFaults() ? access.begin() : access.attempt();
        if (cache != null) {
            if (r == AccessResult.HIT && cache.refreshes() != refreshesBefore) {
                // kvm_gpc_refresh completed (hva_to_pfn found the page present), then the access.
                d.sim.schedule(d.cost(Cost.PFN_CACHE_REFRESH_NS, rng) + hitNs(), actor, COMPLETE);
                return;
            }
            if (r == AccessResult.RETRY && cache.retries() != retriesBefore) {
                // The refresh saw an invalidation of the page in progress (or one ended under it):
                // hva_to_pfn_retry loops; a sleeping user tries again after the lookup it wasted.
                d.sim.schedule(d.cost(Cost.PFN_CACHE_REFRESH_NS, rng), actor, RETRY);
                return;
            }
            // HIT on a valid entry (kvm_gpc_check), HOST_FAULT (the refresh faulted the missing page
            // into the host and sleeps on the uffd, woken by the copy as any host fault):
            // charged below as the vCPU's own are.
        }
        switch (r) {
            case AccessResult.FAULT_IN:
                // The lookup (get_user_pages), no lock; then the commit under the MMU lock's read side.
                d.sim.schedule(Math.max(0, d.cost(Cost.STAGE2_FAULT_NS, rng) - d.cost(Cost.STAGE2_COMMIT_HOLD_NS)), actor,
                        COMMIT_REQUEST);
                break;
            case AccessResult.HIT:
                d.sim.schedule(hitNs(), actor, COMPLETE);
                break;
            case AccessResult.MAPPED:
                d.sim.schedule(d.cost(Cost.STAGE2_FAULT_NS, rng), actor, COMPLETE);
                break;
            case AccessResult.EXIT_MEMORY_FAULT:
                d.sim.schedule(d.cost(Cost.VM_EXIT_TO_USER_NS, rng) + d.cost(Cost.EXIT_HANDLER_NS, rng), actor, EXIT);
                break;
            case AccessResult.HOST_FAULT:
                d.sim.schedule(d.cost(Cost.HOST_FAULT_NS, rng), actor, HOST_FAULT);
                break;
            case AccessResult.RETRY:
                d.sim.schedule(d.cost(Cost.STAGE2_FAULT_NS, rng), actor, RETRY);
                break;
            default:
                fail("vcpu-" + id + ": access to gfn " + access.gfn() + " outside every memslot");
        }
    }

    private void onExit() {
        resumeDelayNs = d.cost(Cost.VM_ENTRY_NS, rng) + d.cost(Cost.FAULT_USER_NS, rng);
        dispatch(path.onExit(access.exit(), ctx, d.sim.nowNs()));
    }

    private void onHostFault() {
        // KVM retries the fault in the kernel and maps: the retried access pays the stage-2 fault. Back in the
        // thread, its own record of the fault (fault-user).
        resumeDelayNs = d.cost(Cost.FAULT_USER_NS, rng);
        dispatch(path.onHostFault(access.exit(), ctx, d.sim.nowNs()));
    }

    private void dispatch(int classified) {
        switch (classified) {
            case FaultPath.RESOLVED:
                d.sim.schedule(resumeDelayNs, actor, RESUME);
                break;
            case FaultPath.WAIT_PRESENT:
                if (local != null && local.takeJob()) {
                    jobGfn = local.jobGfn();
                    jobPage = local.jobPageIndex();
                    startJob();
                } else if (path.isPresent()) {
                    d.sim.schedule(resumeDelayNs, actor, RESUME);
                } else {
                    path.blocked();
                    d.waitForPresent(id, path.pageIndex());
                    sleeping = true;
                    d.cpus.release(actor);
                }
                break;
            case FaultPath.SLEEP_UFFD:
                wokenEarly = false;
                d.queueLock(path.uffdIndex()).acquire(actor, ENQUEUE_GRANTED);
                break;
            default:
                fail(path.failureText());
        }
    }

    /** This vCPU fetches the page itself: the delay (asleep), then the copy and install. */
    private void startJob() {
        long delay = d.model().localPages() == null ? 0 : fetchDelayNs;
        if (delay > 0 && mode != FaultMode.NONE) {
            d.cpus.release(actor);
            d.sim.schedule(delay, actor, JOB_DELAYED);
        } else {
            d.sim.schedule(0, actor, JOB_COPY);
        }
    }

    private long fetchDelayNs;

    /** The fetch delay of pages this vCPU fetches itself (ns). */
    public void fetchDelayNs(long ns) {
        this.fetchDelayNs = ns;
    }

    /** The job's work outside the host mm lock: the ioctl (if any), the copy, the page allocation. */
    private long jobWorkNs() {
        long ns = d.cost(Cost.PAGE_ALLOC_NS, rng);
        if (mode != FaultMode.NONE) ns += d.cost(Cost.COPY_4K_NS, rng);
        if (mode == FaultMode.EXIT_ON_MISSING || mode == FaultMode.UFFD_KVM_USERFAULT) ns += d.cost(Cost.UFFD_IOCTL_NS, rng);
        return ns;
    }

    private boolean install() {
        int r = local.complete(ctx, jobGfn, jobPage);
        if (r == PageProvider.FAILED) {
            fail(String.format("vcpu-%d: gfn 0x%x could not be installed", id, jobGfn));
            return false;
        }
        return true;
    }

    private void sleepUnlessWoken(long delayNs) {
        if (wokenEarly) {
            wokenEarly = false;
            d.sim.schedule(delayNs + resumeDelayNs, actor, RESUME);
        } else {
            sleeping = true;
            d.cpus.release(actor);
        }
    }

    private void fail(String why) {
        listener.onFailure(why);
    }
}
