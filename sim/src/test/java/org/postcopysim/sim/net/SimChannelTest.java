package org.postcopysim.sim.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.postcopysim.sim.engine.Simulator;

class SimChannelTest {
    @Test
    void messagesArriveInOrderWithTheirPagesAfterTransmissionAndLatency() {
        Simulator sim = new Simulator(1 << 16);
        SimChannel ch = new SimChannel(sim, "c", 30_000, 1_000_000_000L); // 1 byte per ns
        List<String> got = new ArrayList<>();
        ch.receiver((from, kind, value, count) -> {
            StringBuilder b = new StringBuilder(sim.nowNs() + ":" + kind + ":" + value + ":");
            for (int i = 0; i < count; i++) b.append(from.page(i)).append(',');
            got.add(b.toString());
        });
        ch.send(1, 7, new int[] {5, 6}, 2, 1000);
        ch.send(2, 8, new int[] {9}, 1, 500);
        assertEquals(1500, ch.queuedBytes());
        sim.run(Long.MAX_VALUE);
        // the first leaves at 1000 ns and arrives 30 us later; the second waits behind it
        assertEquals(List.of("31000:1:7:5,6,", "31500:2:8:9,"), got);
        assertEquals(0, ch.queuedBytes());
    }

    @Test
    void manyMessagesOfMixedSizesKeepEveryPageInOrder() {
        Simulator sim = new Simulator(1 << 20);
        SimChannel ch = new SimChannel(sim, "c", 1_000, 100_000_000L);
        List<Integer> sent = new ArrayList<>();
        List<Integer> received = new ArrayList<>();
        ch.receiver((from, kind, value, count) -> {
            assertEquals(count, (int) value, "value carries the count");
            for (int i = 0; i < count; i++) received.add(from.page(i));
        });
        SplittableRandom rnd = new SplittableRandom(3);
        int next = 0;
        int[] buf = new int[200];
        for (int m = 0; m < 5_000; m++) {
            int n = rnd.nextInt(2) == 0 ? 1 : 1 + rnd.nextInt(200);
            for (int i = 0; i < n; i++) {
                buf[i] = next;
                sent.add(next++);
            }
            ch.send(0, n, buf, n, n * 100L);
            if (rnd.nextInt(4) == 0) sim.run(sim.nowNs() + rnd.nextInt(50_000)); // deliver some in between
        }
        sim.run(Long.MAX_VALUE);
        assertEquals(sent.size(), received.size());
        for (int i = 0; i < sent.size(); i++) {
            if (!sent.get(i).equals(received.get(i))) {
                throw new AssertionError("page " + i + " of the stream: sent " + sent.get(i) + ", received " + received.get(i));
            }
        }
        assertTrue(ch.messagesSent() == 5_000);
    }
}
