package org.postcopysim.sim.migration;

import org.postcopysim.sim.engine.Actor;
import org.postcopysim.sim.engine.Simulator;
import org.postcopysim.sim.net.SimChannel;
import org.postcopysim.source.policy.BackgroundOrder;
import org.postcopysim.source.policy.BackgroundPolicy;
import org.postcopysim.source.policy.SourcePolicy;

/**
 * The simulated source: the real source's policies ({@link SourcePolicy}: demand requests
 * answered first, each told to the background order; {@link BackgroundPolicy}: batches of unsent
 * pages in that order, paced by the cap's token bucket) over simulated channels. The background stream
 * keeps at most a socket send buffer's worth of bytes queued on its channel, as Netty's writability
 * stops the real streamer. With several streams (QEMU's multifd channels, {@code --streams}) each
 * batch goes on the stream with the fewest bytes queued, each stream keeping at most its own send
 * buffer's worth, as N event loops each write when their socket drains; the cap is one bucket for
 * all of them. The source's own CPU is not modelled: its channels are its limit.
 */
final class SimSource implements Actor, SimChannel.Receiver {
    private static final int PUMP = 0;

    private final Simulator sim;
    private final int actor;
    private final SourcePolicy policy;
    private final boolean faultsUnheard;
    private final BackgroundPolicy background;
    private final SimChannel answers;
    private final SimChannel[] streams;
    private final long[] streamPages;
    private final long sendBufferBytes;
    private final int[] batch;
    private final int[] one = new int[1];
    private boolean pumpScheduled;
    private boolean done;
    private long demandPages;
    private long backgroundPages;
    private long duplicates;

    /**
     * @param answers          where demand answers go (the stream's channel too, with one channel)
     * @param streams          where background batches go (one channel per stream)
     * @param maxBytesPerSec   the background cap (bytes/s) of all the streams together, 0 for none
     * @param sendBufferBytes  most background bytes queued on each stream's channel
     * @param order            the background order
     * @param faultsUnheard    the negative control's broken source: requests are answered without telling the order
     */
    SimSource(Simulator sim, int pages, SimChannel answers, SimChannel[] streams, int pagesPerBatch, long maxBytesPerSec,
              long sendBufferBytes, BackgroundOrder order, boolean faultsUnheard) {
        this.faultsUnheard = faultsUnheard;
        this.sim = sim;
        this.actor = sim.register(this);
        this.policy = new SourcePolicy(pages, order);
        this.background = policy.background(pagesPerBatch, maxBytesPerSec, Messages.batchBytes(pagesPerBatch), 0);
        this.answers = answers;
        this.streams = streams.clone();
        this.streamPages = new long[streams.length];
        this.sendBufferBytes = sendBufferBytes;
        this.batch = new int[pagesPerBatch];
        for (SimChannel stream : this.streams) stream.onDrained(c -> schedulePump(0));
    }

    void start() {
        schedulePump(0);
    }

    /** A page request arrived. */
    @Override
    public void onMessage(SimChannel from, int kind, long requestId, int count) {
        for (int i = 0; i < count; i++) {
            one[0] = from.page(i);
            if (faultsUnheard) {
                if (!policy.sent().markSent(one[0])) duplicates++;
            } else {
                duplicates += policy.onDemand(one, 1);
            }
            demandPages++;
            answers.send(Messages.ANSWER, requestId, one, 1, Messages.batchBytes(1));
        }
    }

    private void schedulePump(long delayNs) {
        if (pumpScheduled || done) return;
        pumpScheduled = true;
        sim.schedule(delayNs, actor, PUMP);
    }

    @Override
    public void onEvent(int kind) {
        pumpScheduled = false;
        for (int to = leastQueued(); streams[to].queuedBytes() < sendBufferBytes; to = leastQueued()) {
            long waitNs = background.nanosUntilNext(sim.nowNs());
            if (waitNs > 0) {
                schedulePump(waitNs);
                return;
            }
            int n = background.claim(batch);
            if (n == 0) {
                done = true;
                return;
            }
            long bytes = Messages.batchBytes(n);
            background.sent(bytes);
            backgroundPages += n;
            streamPages[to] += n;
            streams[to].send(Messages.BACKGROUND, 0, batch, n, bytes);
        }
    }

    /** The stream with the fewest bytes queued (the lowest index among equals: deterministic). */
    private int leastQueued() {
        int best = 0;
        for (int i = 1; i < streams.length; i++) if (streams[i].queuedBytes() < streams[best].queuedBytes()) best = i;
        return best;
    }

    /** Background pages sent on each stream (count). */
    long[] streamPages() {
        return streamPages.clone();
    }

    long demandPages() {
        return demandPages;
    }

    long backgroundPages() {
        return backgroundPages;
    }

    /** Pages sent twice: requested after the stream had sent them. */
    long duplicates() {
        return duplicates;
    }

    /** Requested pages the background had not sent: their faults were network-bound. */
    long pagesFetchedOnDemand() {
        return demandPages - duplicates;
    }
}
