package org.postcopysim.source;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.postcopysim.protocol.FrameDescriptor;

class SourceConfigTest {
    @Test
    void defaultsAreTheDocumentedOnes() {
        SourceConfig c = SourceConfig.defaults();
        assertEquals("127.0.0.1", c.host());
        assertEquals(0, c.port());
        assertEquals(256L << 20, c.guestBytes());
        assertEquals(2, c.memslots());
        assertEquals(1, c.seed());
        assertEquals(0, c.maxBackgroundBytesPerSec());
        assertEquals(FrameDescriptor.DEFAULT_MAX_FRAME_BYTES, c.maxFrameBytes());
        assertEquals(FrameDescriptor.DEFAULT_PAGES_PER_BATCH, c.pagesPerBatch());
        assertNull(c.token());
        assertFalse(c.requiresToken());
        c.validate();
    }

    @Test
    void withersChainInAnyOrderAndValidateChecksTheBatchFitsAFrame() {
        SourceConfig c = SourceConfig.defaults().withMaxFrameBytes(16 << 10);
        assertThrows(IllegalArgumentException.class, c::validate, "64 pages do not fit 16 KiB");
        assertEquals(3, c.withPagesPerBatch(3).validate().pagesPerBatch());
    }

    @Test
    void rejectsNonsense() {
        SourceConfig c = SourceConfig.defaults();
        assertThrows(IllegalArgumentException.class, () -> c.withGuestBytes(4095));
        assertThrows(IllegalArgumentException.class, () -> c.withMemslots(0));
        assertThrows(IllegalArgumentException.class, () -> c.withPort(70000));
        assertThrows(IllegalArgumentException.class, () -> c.withMaxBackgroundBytesPerSec(-1));
        assertThrows(IllegalArgumentException.class, () -> c.withMaxFrameBytes(100));
        assertThrows(IllegalArgumentException.class, () -> c.withPagesPerBatch(0));
        assertThrows(IllegalArgumentException.class, () -> c.withMemslotGapBytes(-4096));
        assertThrows(IllegalArgumentException.class, () -> c.withMemslotGapBytes(4095), "not whole pages");
        assertThrows(IllegalArgumentException.class, () -> c.withMemslotGapBytes(Long.MAX_VALUE & ~4095L), "past the largest gfn");
    }

    @Test
    void theLayoutIsContiguousByDefaultAndGappedOnRequestWhateverTheOrderOfTheWithers() {
        SourceConfig c = SourceConfig.defaults().withGuestBytes(8L << 20).withMemslots(3);
        assertEquals(0, c.memslotGapBytes());
        assertEquals(org.postcopysim.memory.GuestLayout.contiguous(8L << 20, 3).slots(), c.layout().slots());
        SourceConfig gapped = SourceConfig.defaults().withMemslotGapBytes(1L << 20).withGuestBytes(8L << 20)
                .withMemslots(3).withSeed(9).withToken("t").withMaxFrameBytes(1 << 20).withPagesPerBatch(3)
                .withPort(1).withHost("::1").withMaxBackgroundBytesPerSec(5)
                .withReliability(org.postcopysim.protocol.Reliability.DEFAULT);
        assertEquals(1L << 20, gapped.memslotGapBytes(), "every with-er keeps the gap");
        assertEquals(org.postcopysim.memory.GuestLayout.gapped(8L << 20, 3, 256).slots(), gapped.layout().slots());
        assertEquals(256, gapped.layout().slot(0).baseGfn());
    }

    @Test
    void toStringNeverShowsTheToken() {
        SourceConfig c = SourceConfig.defaults().withToken("hunter2");
        assertTrue(c.requiresToken());
        assertFalse(c.toString().contains("hunter2"), c.toString());
    }
}
