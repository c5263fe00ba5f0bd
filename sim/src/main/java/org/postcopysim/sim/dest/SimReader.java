package org.postcopysim.sim.dest;

import org.postcopysim.dest.fault.PageProvider;
import org.postcopysim.dest.fault.UffdPaths;
import org.postcopysim.dest.fetch.PageInstaller;
import org.postcopysim.dest.uffd.UffdMsg;
import org.postcopysim.dest.uffd.UffdResult;
import org.postcopysim.guest.SplitMix64;
import org.postcopysim.sim.cost.Cost;
import org.postcopysim.sim.engine.Actor;

/**
 * One uffd reader thread as a simulated actor, the counterpart of the thread runner's
 * {@code uffd-reader-U-R}: poll, read a fault under the wait queue's lock, resolve it through the
 * model ({@link UffdPaths#resolve}; with local pages it fetches the page itself: the delay, the
 * copy, the allocation under the host mm lock), then UFFDIO_COPY under the wait queue's lock,
 * whose wake walk costs what the model counted it visiting. Asleep in poll it holds no CPU; a
 * queued fault wakes it with the whole poll herd.
 */
public final class SimReader implements Actor {
    static final int START = 0;
    static final int POLL_AND_READ = 1;
    static final int READ_LOCK = 2;
    static final int READ_GRANTED = 3;
    static final int READ_UNLOCK = 4;
    static final int DELAYED = 5;
    static final int COPY_WORK = 6;
    static final int MM_GRANTED = 7;
    static final int MM_RELEASE = 8;
    static final int COPY_GRANTED = 9;
    static final int COPY_UNLOCK = 10;
    static final int WAKE_GRANTED = 11;
    static final int WAKE_UNLOCK = 12;
    static final int WOKEN = 13;
    static final int MM_REQUEST = 14;
    static final int POLL_REGISTER = 15;
    static final int POLL_REGISTERED = 16;
    static final int POLL_UNREGISTER = 17;
    static final int READ_POLL_GRANTED = 18;
    static final int WOKEN_RUN = 19;
    static final int RUN_ON = 20;
    static final int RESOLVE = 21;
    /** Salt of the seeds of the readers' cost jitter. */
    static final long COST_SEED_SALT = 0x4EADE45L;

    private final SimDest d;
    private final int u;
    private final int actor;
    private final PageProvider provider;
    private final SimLocalPages local;
    private final PageInstaller.Context ctx;
    private final long fetchDelayNs;
    private final SimVcpu.Listener listener;
    private final UffdMsg msg = new UffdMsg();
    private final SplitMix64 rng;
    private int waiter;
    private boolean polling;
    /** Its last wake-up from poll found an idle CPU (see {@link SimDest#wake}). */
    private boolean wokeOnIdleCpu;
    /** The actor whose CPU its last wake-up placed it on ({@code wake-affine}), or -1. */
    private int placedWith = -1;
    /** The vCPUs its ioctl's wake walk woke, woken at the ioctl's unlock. */
    private final PendingWakes pending = new PendingWakes();
    private long jobGfn;
    private long jobPage;
    private long visitedBefore;
    private boolean stopped;

    /**
     * @param provider where it gets pages (a {@link SimLocalPages}: it fetches itself; else the
     *                 network: the page is installed when it arrives)
     * @param index    the reader's number among all readers (its cost jitter is forked from the seed by it)
     */
    public SimReader(SimDest d, int u, int index, PageProvider provider, PageInstaller.Context ctx, long fetchDelayNs,
                     long seed, SimVcpu.Listener listener) {
        this.rng = new SplitMix64(SplitMix64.fork(seed ^ COST_SEED_SALT, index));
        this.d = d;
        this.u = u;
        this.provider = provider;
        this.local = provider instanceof SimLocalPages ? (SimLocalPages) provider : null;
        this.ctx = ctx;
        this.fetchDelayNs = fetchDelayNs;
        this.listener = listener;
        this.actor = d.sim.register(this);
    }

    /** The model's readers: {@code readersPerUffd} on each of its uffds (none when the mode has no uffd). */
    public static java.util.List<SimReader> forEachUffd(SimDest d, PageProvider provider, PageInstaller.Context ctx,
                                                        long fetchDelayNs, long seed, SimVcpu.Listener listener) {
        java.util.List<SimReader> readers = new java.util.ArrayList<>();
        var paths = d.model().uffd();
        if (paths == null) return readers;
        for (int u = 0; u < paths.uffds().count(); u++) {
            for (int r = 0; r < paths.readersPerUffd(); r++) {
                readers.add(new SimReader(d, u, readers.size(), provider, ctx, fetchDelayNs, seed, listener));
            }
        }
        return readers;
    }

    public void start() {
        d.sim.schedule(0, actor, START);
    }

    /** Stops reading at its next step (the run is over). */
    public void stop() {
        stopped = true;
    }

    boolean polling() {
        return polling;
    }

    /** The poll herd woke it: it runs {@code delayNs} from now, placed on {@code waker}'s CPU (-1: not placed). */
    void wokenIn(long delayNs, int waker) {
        polling = false;
        placedWith = waker;
        d.sim.schedule(delayNs, actor, WOKEN);
    }

    @Override
    public void onEvent(int kind) {
        if (stopped) return;
        switch (kind) {
            case START:
                d.cpus.acquire(actor, POLL_AND_READ);
                break;
            case WOKEN:
                wokeOnIdleCpu = d.wake(actor, WOKEN_RUN, placedWith);
                break;
            case WOKEN_RUN:
                // Back from a sleep in poll, the wake-up's CPU time comes first.
                d.sim.schedule(d.wakeupCpuNs(wokeOnIdleCpu, rng) + d.cost(Cost.UFFD_POLL_SYSCALL_NS, rng), actor,
                        POLL_REGISTER);
                break;
            case POLL_AND_READ:
                d.sim.schedule(d.cost(Cost.UFFD_POLL_SYSCALL_NS, rng), actor, POLL_REGISTER);
                break;
            case RUN_ON:
                // Back from the ioctl that woke a thread: one queued on a busy CPU preempts this reader.
                d.cpus.runOnOrYield(actor, POLL_AND_READ);
                break;
            case POLL_REGISTER:
                // poll_wait() puts the reader on fd_wqh under its lock, then poll checks for pending faults.
                d.pollLock(u).acquire(actor, POLL_REGISTERED);
                break;
            case POLL_REGISTERED:
                d.sim.schedule(d.cost(Cost.UFFD_POLL_REGISTER_HOLD_NS, rng), actor, POLL_UNREGISTER);
                break;
            case POLL_UNREGISTER:
                d.pollLock(u).release();
                if (d.paths().uffds().get(u).pendingCount() == 0) {
                    sleepInPoll();
                } else {
                    d.sim.schedule(d.cost(Cost.UFFD_READ_SYSCALL_NS, rng), actor, READ_LOCK);
                }
                break;
            case READ_LOCK:
                // userfaultfd_ctx_read() takes fd_wqh's lock, then fault_pending_wqh's.
                d.pollLock(u).acquire(actor, READ_POLL_GRANTED);
                break;
            case READ_POLL_GRANTED:
                d.queueLock(u).acquire(actor, READ_GRANTED);
                break;
            case READ_GRANTED:
                waiter = d.paths().read(u, msg);
                d.sim.schedule(d.cost(Cost.UFFD_READ_HOLD_NS, rng), actor, READ_UNLOCK);
                break;
            case READ_UNLOCK:
                d.queueLock(u).release();
                d.pollLock(u).release();
                if (waiter == UffdResult.EAGAIN) {
                    d.sim.schedule(0, actor, POLL_AND_READ); // another reader took it: poll again
                } else {
                    long userNs = d.cost(Cost.UFFD_READER_USER_NS, rng); // the message decoded, the fault handled
                    if (userNs == 0) resolve();
                    else d.sim.schedule(userNs, actor, RESOLVE);
                }
                break;
            case RESOLVE:
                resolve();
                break;
            case DELAYED:
                d.cpus.acquire(actor, COPY_WORK);
                break;
            case COPY_WORK:
                d.sim.schedule(d.cost(Cost.UFFD_IOCTL_NS, rng) + d.cost(Cost.COPY_4K_NS, rng) + d.cost(Cost.PAGE_ALLOC_NS, rng),
                        actor, MM_REQUEST);
                break;
            case MM_REQUEST:
                d.mmLock.acquire(actor, MM_GRANTED);
                break;
            default:
                onLaterEvent(kind);
        }
    }

    private void onLaterEvent(int kind) {
        switch (kind) {
            case MM_GRANTED:
                d.sim.schedule(d.cost(Cost.MM_LOCK_HOLD_NS, rng), actor, MM_RELEASE);
                break;
            case MM_RELEASE:
                d.mmLock.release();
                d.queueLock(d.paths().uffdOf(jobPage)).acquire(actor, COPY_GRANTED);
                break;
            case COPY_GRANTED: {
                int pu = d.paths().uffdOf(jobPage);
                visitedBefore = d.paths().uffds().get(pu).waitersVisited();
                if (local.complete(ctx, jobGfn, jobPage) == PageProvider.FAILED) {
                    listener.onFailure(String.format("uffd reader: gfn 0x%x could not be installed", jobGfn));
                    return;
                }
                long visited = d.paths().uffds().get(pu).waitersVisited() - visitedBefore;
                d.sim.schedule(d.uffdWakeWalkHoldNs(visited, rng, actor, pending), actor, COPY_UNLOCK);
                break;
            }
            case COPY_UNLOCK:
                d.queueLock(d.paths().uffdOf(jobPage)).release();
                d.flushWakes(pending);
                d.sim.schedule(0, actor, RUN_ON); // after the wake-ups it just issued: the vCPU it woke may preempt it
                break;
            case WAKE_GRANTED: {
                visitedBefore = d.paths().uffds().get(u).waitersVisited();
                d.paths().wakePage(msg.pageIndex(), d);
                long visited = d.paths().uffds().get(u).waitersVisited() - visitedBefore;
                d.sim.schedule(d.uffdWakeWalkHoldNs(visited, rng, actor, pending), actor, WAKE_UNLOCK);
                break;
            }
            case WAKE_UNLOCK:
                d.queueLock(u).release();
                d.flushWakes(pending);
                d.sim.schedule(0, actor, RUN_ON);
                break;
            default:
                throw new IllegalStateException("uffd reader: unknown event " + kind);
        }
    }

    /** Nothing pending after registering: sleep in poll until a queued fault wakes the herd. */
    private void sleepInPoll() {
        d.paths().beginPoll(u);
        d.polling(u, this);
        polling = true;
        d.cpus.release(actor);
    }

    private void resolve() {
        switch (d.paths().resolve(msg, provider, ctx)) {
            case UffdPaths.NEEDS_WAKE:
                d.queueLock(u).acquire(actor, WAKE_GRANTED);
                return;
            case UffdPaths.FAILED:
                listener.onFailure(String.format("uffd reader: the fault on gfn 0x%x could not be resolved", msg.gfn()));
                return;
            default:
                break;
        }
        if (local != null && local.takeJob()) {
            jobGfn = local.jobGfn();
            jobPage = local.jobPageIndex();
            if (fetchDelayNs > 0) {
                d.cpus.release(actor);
                d.sim.schedule(fetchDelayNs, actor, DELAYED);
            } else {
                d.sim.schedule(0, actor, COPY_WORK);
            }
        } else {
            d.sim.schedule(0, actor, POLL_AND_READ);
        }
    }
}
