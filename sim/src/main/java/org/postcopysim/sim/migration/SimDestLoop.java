package org.postcopysim.sim.migration;

import org.postcopysim.dest.fetch.PageInstaller;
import org.postcopysim.guest.SplitMix64;
import org.postcopysim.sim.cost.Cost;
import org.postcopysim.sim.dest.PendingWakes;
import org.postcopysim.sim.dest.SimDest;
import org.postcopysim.sim.engine.Actor;
import org.postcopysim.sim.net.SimChannel;

/**
 * One of the destination's event loops (the thread that receives one connection) as a simulated
 * actor: it takes the pages that arrive, in order, and installs each with the model's installer
 * (contents elided: the page's receive, copy and CRC are charged, not done). In the uffd modes an
 * install is a UFFDIO_COPY, taken under the page's uffd lock and charged its wake walk. It runs on
 * a simulated host CPU while it works.
 */
final class SimDestLoop implements Actor, SimChannel.Receiver {
    private static final int RUN = 0;
    private static final int BATCH_DONE = 1;
    private static final int PAGE_WORK_DONE = 2;
    private static final int LOCKED = 3;
    private static final int UNLOCK = 4;

    private final SimDest d;
    private final int actor;
    /** The vCPUs an install's wake walk woke, woken at its unlock. */
    private final PendingWakes pending = new PendingWakes();
    private final PageInstaller installer;
    private final boolean uffdInstall;
    private final SplitMix64 rng;
    private final SimMigration.Counts counts;
    // arrived pages waiting to be installed (a FIFO ring), and which of them came on demand
    private int[] pages = new int[4096];
    private boolean[] demand = new boolean[4096];
    private int head;
    private int size;
    private boolean running;
    private int batchLeft;
    private int uffd;
    private long visitedBefore;

    SimDestLoop(SimDest d, boolean uffdInstall, long seed, int index, SimMigration.Counts counts) {
        this.d = d;
        this.actor = d.sim().register(this);
        this.installer = d.model().installer();
        this.uffdInstall = uffdInstall;
        this.rng = new SplitMix64(SplitMix64.fork(seed ^ 0xDE57L, index));
        this.counts = counts;
    }

    @Override
    public void onMessage(SimChannel from, int kind, long value, int count) {
        for (int i = 0; i < count; i++) add(from.page(i), kind == Messages.ANSWER);
        if (!running) {
            running = true;
            d.cpuPool().acquire(actor, RUN);
        }
    }

    private void add(int page, boolean onDemand) {
        if (size == pages.length) {
            if (size >= SimChannel.MAX_PAGES) throw new IllegalStateException("dest loop: " + size + " pages waiting to be installed");
            int[] p = new int[size * 2];
            boolean[] q = new boolean[size * 2];
            for (int i = 0; i < size; i++) {
                p[i] = pages[(head + i) % pages.length];
                q[i] = demand[(head + i) % pages.length];
            }
            pages = p;
            demand = q;
            head = 0;
        }
        int slot = (head + size) % pages.length;
        pages[slot] = page;
        demand[slot] = onDemand;
        size++;
    }

    private long perPageNs() {
        return d.cost(Cost.DEST_INSTALL_NS, rng) + d.cost(Cost.COPY_4K_NS, rng) + d.cost(Cost.CRC32C_4K_NS, rng);
    }

    @Override
    public void onEvent(int kind) {
        switch (kind) {
            case RUN:
                if (size == 0) {
                    running = false;
                    d.cpuPool().release(actor);
                    return;
                }
                if (uffdInstall) {
                    d.sim().schedule(perPageNs(), actor, PAGE_WORK_DONE);
                } else {
                    // Without a uffd lock to take, a run of arrived pages is charged and installed in one step.
                    batchLeft = Math.min(size, 64);
                    long ns = 0;
                    for (int i = 0; i < batchLeft; i++) ns += perPageNs();
                    d.sim().schedule(ns, actor, BATCH_DONE);
                }
                break;
            case BATCH_DONE:
                for (int i = 0; i < batchLeft; i++) installHead();
                d.flushWakes(0);
                d.sim().schedule(0, actor, RUN);
                break;
            case PAGE_WORK_DONE:
                uffd = d.uffdOf(pages[head]);
                if (uffd < 0) {
                    installHead();
                    d.flushWakes(0);
                    d.sim().schedule(0, actor, RUN);
                } else {
                    d.queueLockOf(uffd).acquire(actor, LOCKED);
                }
                break;
            case LOCKED: {
                visitedBefore = d.visited(uffd);
                installHead();
                d.sim().schedule(d.wakeWalkHoldNs(d.visited(uffd) - visitedBefore, rng, pending), actor, UNLOCK);
                break;
            }
            case UNLOCK:
                d.queueLockOf(uffd).release();
                d.flushWakes(pending);
                d.sim().schedule(0, actor, RUN);
                break;
            default:
                throw new IllegalStateException("dest loop: unknown event " + kind);
        }
    }

    private void installHead() {
        int page = pages[head];
        boolean onDemand = demand[head];
        head = (head + 1) % pages.length;
        size--;
        long gfn = d.model().layout().gfnOfPageIndex(page);
        int r = installer.installElided(null, gfn);
        if (r == PageInstaller.INSTALLED) {
            if (onDemand) counts.demandInstalled++; else counts.backgroundInstalled++;
        } else {
            counts.duplicatesDropped++;
        }
    }
}
