package org.postcopysim.sim.net;

import org.postcopysim.sim.engine.Actor;
import org.postcopysim.sim.engine.Simulator;

/**
 * One direction of a simulated TCP connection: messages leave in order, each occupying the link
 * for its bytes over the bandwidth, and arrive a one-way latency after they are sent; a message
 * queued behind others waits for them (head-of-line blocking: why postcopy-preempt gives urgent
 * pages a channel of their own). Messages carry up to a batch of page indexes, kept in a ring of
 * ints, so nothing is allocated per message. The sender sees {@link #queuedBytes()} (bytes not
 * yet on the wire) for its backpressure, and is told when a message has left.
 */
public final class SimChannel implements Actor {
    /** Receives the messages of a channel, in order, on arrival. */
    public interface Receiver {
        /**
         * Message {@code kind} with {@code value} (a request id, say) and {@code count} page
         * indexes, read with {@link SimChannel#page(int)} during the call.
         */
        void onMessage(SimChannel from, int kind, long value, int count);
    }

    /** Told when a message has left the sender (its bytes are on the wire). */
    public interface Drained {
        void onDrained(SimChannel channel);
    }

    /** Most messages, and pages, a channel holds queued or in flight: past it a sender is unbounded (a bug). */
    public static final int MAX_MESSAGES = 1 << 20;
    public static final int MAX_PAGES = 1 << 24;
    private static final int SENT = 0;
    private static final int ARRIVED = 1;

    private final Simulator sim;
    private final String name;
    private final int actor;
    private final long latencyNs;
    private final long bytesPerSec;
    private Receiver receiver;
    private Drained drained = c -> { };

    // messages queued or in flight, FIFO: kind, value, page count, bytes, first page in the page ring
    private int[] kind = new int[64];
    private long[] value = new long[64];
    private int[] count = new int[64];
    private long[] bytes = new long[64];
    private int[] firstPage = new int[64];
    private int head;
    private int size;
    /** Messages [head, head + sent) have left; the one after them is on the wire if transmitting. */
    private int sent;
    private boolean transmitting;
    private int[] pages = new int[1024];
    private int pageHead;
    private int pageSize;
    private int deliverFrom;
    private long queuedBytes;
    private long bytesSent;
    private long messagesSent;

    /**
     * @param latencyNs   one-way latency (ns)
     * @param bytesPerSec bandwidth (bytes per second, at least 1)
     */
    public SimChannel(Simulator sim, String name, long latencyNs, long bytesPerSec) {
        if (bytesPerSec < 1) throw new IllegalArgumentException("bandwidth must be positive");
        this.sim = sim;
        this.name = name;
        this.latencyNs = latencyNs;
        this.bytesPerSec = bytesPerSec;
        this.actor = sim.register(this);
    }

    public void receiver(Receiver r) {
        this.receiver = r;
    }

    public void onDrained(Drained d) {
        this.drained = d;
    }

    public String name() {
        return name;
    }

    /** Bytes queued and not yet fully on the wire. */
    public long queuedBytes() {
        return queuedBytes;
    }

    public long bytesSent() {
        return bytesSent;
    }

    public long messagesSent() {
        return messagesSent;
    }

    /** Queues message {@code kind} of {@code messageBytes} carrying {@code n} pages from {@code pageIndexes}. */
    public void send(int messageKind, long messageValue, int[] pageIndexes, int n, long messageBytes) {
        if (size == kind.length) grow();
        while (pages.length - pageSize < n) growPages(); // before this message's first page is fixed
        int i = slot(size);
        kind[i] = messageKind;
        value[i] = messageValue;
        count[i] = n;
        bytes[i] = messageBytes;
        firstPage[i] = pageSlot(pageSize);
        for (int p = 0; p < n; p++) addPage(pageIndexes[p]);
        size++;
        queuedBytes += messageBytes;
        if (!transmitting) transmitNext();
    }

    private void transmitNext() {
        if (sent == size) return;
        transmitting = true;
        long b = bytes[slot(sent)];
        sim.schedule(Math.max(1, b * 1_000_000_000L / bytesPerSec), actor, SENT);
    }

    @Override
    public void onEvent(int event) {
        if (event == SENT) {
            int i = slot(sent);
            sent++;
            transmitting = false;
            queuedBytes -= bytes[i];
            bytesSent += bytes[i];
            messagesSent++;
            sim.schedule(latencyNs, actor, ARRIVED);
            transmitNext();
            drained.onDrained(this);
        } else {
            int i = head;
            deliverFrom = firstPage[i];
            receiver.onMessage(this, kind[i], value[i], count[i]);
            pageHead = pageSlot(count[i]);
            pageSize -= count[i];
            head = slot(1);
            size--;
            sent--;
        }
    }

    /** Page {@code i} of the message being delivered. */
    public int page(int i) {
        int p = deliverFrom + i;
        return pages[p >= pages.length ? p - pages.length : p];
    }

    private int slot(int offset) {
        int s = head + offset;
        return s >= kind.length ? s - kind.length : s;
    }

    private int pageSlot(int offset) {
        int s = pageHead + offset;
        return s >= pages.length ? s - pages.length : s;
    }

    private void addPage(int p) {
        pages[pageSlot(pageSize)] = p;
        pageSize++;
    }

    private void grow() {
        int n = kind.length;
        if (n >= MAX_MESSAGES) throw new IllegalStateException(name + ": " + n + " messages queued: a sender is unbounded");
        int[] k = new int[n * 2];
        int[] c = new int[n * 2];
        int[] f = new int[n * 2];
        long[] v = new long[n * 2];
        long[] by = new long[n * 2];
        for (int i = 0; i < size; i++) {
            int from = slot(i);
            k[i] = kind[from];
            c[i] = count[from];
            f[i] = firstPage[from];
            v[i] = value[from];
            by[i] = bytes[from];
        }
        kind = k;
        count = c;
        firstPage = f;
        value = v;
        bytes = by;
        head = 0;
    }

    private void growPages() {
        if (pages.length >= MAX_PAGES) throw new IllegalStateException(name + ": " + pages.length + " pages queued: a sender is unbounded");
        int[] b = new int[pages.length * 2];
        for (int i = 0; i < pageSize; i++) b[i] = pages[pageSlot(i)];
        // message first-page slots move with the pages: rebase them
        for (int m = 0; m < size; m++) {
            int i = slot(m);
            int off = firstPage[i] - pageHead;
            if (off < 0) off += pages.length;
            firstPage[i] = off;
        }
        pages = b;
        pageHead = 0;
    }
}
