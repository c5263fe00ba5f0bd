package org.postcopysim.cli.soak;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.postcopysim.memory.GuestMemory;

/** Negative controls: each check of NettyWatch fires on the fault it is there to catch. */
class NettyWatchTest {
    @Test
    void aBufferDroppedWithoutReleaseIsReported() {
        NettyWatch w = new NettyWatch();
        assertTrue(w.listening(), "the soak must be able to see leaks, not only log them");
        w.collectLeaks();
        leakOne();
        List<String> leaks = w.collectLeaks();
        assertEquals(1, leaks.size(), leaks.toString());
        assertTrue(leaks.get(0).contains("leakOne"), leaks.get(0));
    }

    @Test
    void heapDirectAndMappedGrowthAreReported() throws Exception {
        NettyWatch w = new NettyWatch();
        w.collectLeaks();
        assertNull(w.checkMemory(), "the first call sets the baseline");
        assertNull(w.checkMemory(), "no growth, no finding");
        List<Object> kept = new ArrayList<>();
        kept.add(new byte[(int) NettyWatch.HEAP_TOLERANCE_BYTES + (16 << 20)]);
        assertContains(w.checkMemory(), "heap");
        kept.clear();
        kept.add(java.nio.ByteBuffer.allocateDirect((int) NettyWatch.DIRECT_TOLERANCE_BYTES + (16 << 20)));
        assertContains(w.checkMemory(), "direct buffers");
        kept.clear();
        try (GuestMemory g = GuestMemory.allocate((NettyWatch.MAPPED_TOLERANCE_BYTES + (16 << 20)) / 4096)) {
            assertContains(w.checkMemory(), "mapped");
        }
    }

    private static void assertContains(String finding, String what) {
        assertNotNull(finding, "expected a finding about " + what);
        assertTrue(finding.contains(what), finding);
    }

    private static void leakOne() {
        ByteBuf b = ByteBufAllocator.DEFAULT.directBuffer(64);
        b.writeLong(System.nanoTime());
    }
}
