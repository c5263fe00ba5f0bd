package org.postcopysim.sim.dest;

import org.postcopysim.dest.fetch.PageInstaller;
import org.postcopysim.dest.kvm.HostEvent;
import org.postcopysim.dest.kvm.Memslot;
import org.postcopysim.dest.kvm.Vm;
import org.postcopysim.dest.model.DestModel;
import org.postcopysim.dest.model.HostEventDriver;
import org.postcopysim.dest.workload.HostEventSpec;
import org.postcopysim.dest.workload.HostEvents;
import org.postcopysim.guest.SplitMix64;
import org.postcopysim.sim.cost.Cost;
import org.postcopysim.sim.engine.Actor;

/**
 * The host's background activity on guest memory (reclaim, page migration, protection changes,
 * conversions: kernel-background.md §6) as one simulated thread, driving the model's
 * {@link HostEventDriver} exactly as its javadoc asks a runner to: each event drawn by
 * {@link HostEvents#next} from a seeded {@link SplitMix64} is due its delay after the previous one
 * ended, in virtual time; then, on a host CPU, {@link HostEventDriver#begin} under the MMU lock's
 * write side (charged {@code host-event-invalidate} plus {@code stage2-zap} per entry the model
 * counted zapped), {@link HostEventDriver#change} without it (charged {@code host-event-change};
 * on {@link HostEventDriver#RETRY} it tries again {@code host-event-retry} later), and
 * {@link HostEventDriver#end} under the write side again ({@code host-event-end}). The vCPUs'
 * stepped faults commit under the read side, so a fault whose lookup straddles an invalidation
 * retries, as mmu_invalidate_retry makes it in KVM.
 *
 * <p>At the end of a run, {@link #stop} then {@link #drain} finish an event caught between its
 * steps, so that the model's invariants are checked with no invalidation left in progress.
 */
public final class SimHostEvents implements Actor {
    /** Deliberate mistakes of the negative controls; {@link #NONE} in every real run. */
    public enum Control {
        NONE,
        /**
         * The host changes the page of a reclaim, migration or write-protection without telling
         * KVM (no begin, no end: no mmu_notifier): stage-2 keeps granting what the host took away,
         * which the MMU invariants must catch. The other kinds run normally.
         */
        SKIP_NOTIFICATION
    }

    static final int DUE = 0;
    static final int ON_CPU = 1;
    static final int BEGIN_LOCKED = 2;
    static final int BEGIN_UNLOCK = 3;
    static final int CHANGE = 4;
    static final int END_LOCKED = 5;
    static final int END_UNLOCK = 6;
    static final int UNNOTIFIED_DONE = 7;
    /** Salt of the seed of the host events' draws. */
    static final long SEED_SALT = 0x4057E7E47L;

    private static final int IDLE = 0;
    private static final int BEGUN = 1;
    private static final int CHANGED = 2;

    private final SimDest d;
    private final DestModel model;
    private final HostEventDriver driver;
    private final HostEventSpec spec;
    private final PageInstaller.Context ctx;
    private final Control control;
    private final int actor;
    private final SplitMix64 draws;
    private final SplitMix64 jitter;
    private final HostEvent event = new HostEvent();
    private int step = IDLE;
    private boolean stopped;
    private long ended;
    private long changeRetries;
    private long unnotified;

    /**
     * @param seed the run's seed (the events' draws and this thread's cost jitter are forked from it)
     * @param ctx  install context of a conversion's zeroing (null when contents are elided)
     */
    public SimHostEvents(SimDest d, HostEventSpec spec, long seed, PageInstaller.Context ctx, Control control) {
        this.d = d;
        this.model = d.model();
        this.driver = model.hostEventDriver();
        this.spec = spec;
        this.ctx = ctx;
        this.control = control;
        this.draws = new SplitMix64(SplitMix64.fork(seed ^ SEED_SALT, 0));
        this.jitter = new SplitMix64(SplitMix64.fork(seed ^ SEED_SALT, 1));
        this.actor = d.sim.register(this);
    }

    /** Draws the first event. */
    public void start() {
        scheduleNext();
    }

    /** No event begins after this one (an event between its steps still finishes, or {@link #drain} finishes it). */
    public void stop() {
        stopped = true;
    }

    /**
     * Finishes, at once, an event caught between its steps when the simulation stopped (its
     * change, then its end), so that no invalidation is left in progress. The vCPUs are quiescent
     * then: no install holds its claim, so a change cannot be told to retry.
     */
    public void drain() {
        stopped = true;
        if (step == BEGUN) {
            if (driver.change(event, ctx) == HostEventDriver.RETRY) {
                throw new IllegalStateException(event + ": a copy of the page is being installed after the simulation stopped");
            }
            step = CHANGED;
        }
        if (step == CHANGED) {
            driver.end(event);
            step = IDLE;
            ended++;
        }
    }

    private void scheduleNext() {
        if (stopped) return;
        HostEvents.next(draws, spec, model.layout(), event);
        d.sim.schedule(event.delayNs(), actor, DUE);
    }

    @Override
    public void onEvent(int kind) {
        switch (kind) {
            case DUE:
                if (stopped) return;
                d.cpus.acquire(actor, ON_CPU);
                break;
            case ON_CPU:
                if (control == Control.SKIP_NOTIFICATION && changeWithoutNotifying()) {
                    unnotified++;
                    d.sim.schedule(d.cost(Cost.HOST_EVENT_CHANGE_NS, jitter), actor, UNNOTIFIED_DONE);
                    break;
                }
                d.mmuLock.acquireWrite(actor, BEGIN_LOCKED);
                break;
            case BEGIN_LOCKED: {
                long zappedBefore = model.stage2Zapped();
                driver.begin(event);
                step = BEGUN;
                long zapped = model.stage2Zapped() - zappedBefore;
                long hold = event.notifies() ? d.cost(Cost.HOST_EVENT_INVALIDATE_NS, jitter) : 0;
                if (zapped > 0) hold += zapped * d.cost(Cost.STAGE2_ZAP_NS, jitter);
                d.sim.schedule(hold, actor, BEGIN_UNLOCK);
                break;
            }
            case BEGIN_UNLOCK:
                d.mmuLock.releaseWrite();
                d.sim.schedule(d.cost(Cost.HOST_EVENT_CHANGE_NS, jitter), actor, CHANGE);
                break;
            case CHANGE:
                if (driver.change(event, ctx) == HostEventDriver.RETRY) {
                    changeRetries++;
                    d.sim.schedule(d.cost(Cost.HOST_EVENT_RETRY_NS, jitter), actor, CHANGE);
                    break;
                }
                step = CHANGED;
                d.flushWakes(0); // a conversion made its page present: whoever waited for it runs
                d.mmuLock.acquireWrite(actor, END_LOCKED);
                break;
            case END_LOCKED:
                driver.end(event);
                step = IDLE;
                ended++;
                d.sim.schedule(event.notifies() ? d.cost(Cost.HOST_EVENT_END_NS, jitter) : 0, actor, END_UNLOCK);
                break;
            case END_UNLOCK:
                d.mmuLock.releaseWrite();
                d.cpus.release(actor);
                scheduleNext();
                break;
            case UNNOTIFIED_DONE:
                d.cpus.release(actor);
                scheduleNext();
                break;
            default:
                throw new IllegalStateException("host events: unknown event " + kind);
        }
    }

    /** The negative control: the host's change of a notifying kind, made behind KVM's back. */
    private boolean changeWithoutNotifying() {
        Vm vm = model.vm();
        Memslot slot = vm.memslotOfGfn(event.gfn());
        if (slot == null) return false;
        long page = slot.pageIndexOf(event.gfn());
        switch (event.kind()) {
            case HostEvent.RECLAIM:
                vm.host().swapOut(page);
                break;
            case HostEvent.MIGRATE:
                vm.host().replaceFrame(page);
                break;
            case HostEvent.MPROTECT_RO:
                vm.host().writeProtect(page);
                break;
            default:
                return false;
        }
        return true;
    }

    /** Host events that ran all three steps. */
    public long ended() {
        return ended;
    }

    /** Conversions told to retry their change (a copy of the page was being installed). */
    public long changeRetries() {
        return changeRetries;
    }

    /** Host changes made without notifying KVM (the negative control only; 0 in a real run). */
    public long unnotified() {
        return unnotified;
    }
}
