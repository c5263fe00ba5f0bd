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
    void validateChecksTheBatchFitsAFrame() {
        SourceConfig c = SourceConfig.builder().maxFrameBytes(16 << 10).build();
        assertThrows(IllegalArgumentException.class, c::validate, "64 pages do not fit 16 KiB");
        assertEquals(3, c.toBuilder().pagesPerBatch(3).build().validate().pagesPerBatch());
    }

    @Test
    void rejectsNonsense() {
        SourceConfig c = SourceConfig.defaults();
        assertThrows(IllegalArgumentException.class, () -> c.toBuilder().guestBytes(4095).build());
        assertThrows(IllegalArgumentException.class, () -> c.toBuilder().memslots(0).build());
        assertThrows(IllegalArgumentException.class, () -> c.toBuilder().port(70000).build());
        assertThrows(IllegalArgumentException.class, () -> c.toBuilder().maxBackgroundBytesPerSec(-1).build());
        assertThrows(IllegalArgumentException.class, () -> c.toBuilder().maxFrameBytes(100).build());
        assertThrows(IllegalArgumentException.class, () -> c.toBuilder().pagesPerBatch(0).build());
        assertThrows(IllegalArgumentException.class, () -> c.toBuilder().memslotGapBytes(-4096).build());
        assertThrows(IllegalArgumentException.class, () -> c.toBuilder().memslotGapBytes(4095).build(), "not whole pages");
        assertThrows(IllegalArgumentException.class, () -> c.toBuilder().memslotGapBytes(Long.MAX_VALUE & ~4095L).build(), "past the largest gfn");
    }

    @Test
    void theLayoutIsContiguousByDefaultAndGappedOnRequestWhateverTheOrderOfTheSetters() {
        SourceConfig c = SourceConfig.builder().guestBytes(8L << 20).memslots(3).build();
        assertEquals(0, c.memslotGapBytes());
        assertEquals(org.postcopysim.memory.GuestLayout.contiguous(8L << 20, 3).slots(), c.layout().slots());
        SourceConfig gapped = SourceConfig.builder().memslotGapBytes(1L << 20).guestBytes(8L << 20)
                .memslots(3).seed(9).token("t").maxFrameBytes(1 << 20).pagesPerBatch(3)
                .port(1).host("::1").maxBackgroundBytesPerSec(5)
                .reliability(org.postcopysim.protocol.Reliability.DEFAULT).build();
        assertEquals(1L << 20, gapped.memslotGapBytes(), "every setter keeps the gap");
        assertEquals(org.postcopysim.memory.GuestLayout.gapped(8L << 20, 3, 256).slots(), gapped.layout().slots());
        assertEquals(256, gapped.layout().slot(0).baseGfn());
    }

    @Test
    void toBuilderKeepsEveryComponent() {
        SourceConfig c = SourceConfig.builder().host("::1").port(1).guestBytes(8L << 20).memslots(3).seed(9)
                .maxBackgroundBytesPerSec(5).maxFrameBytes(1 << 20).pagesPerBatch(3).token("t")
                .reliability(org.postcopysim.protocol.Reliability.DEFAULT.withReconnect(false)).memslotGapBytes(1L << 20)
                .streamPriority(org.postcopysim.protocol.sched.StreamPriority.of(3)).build();
        assertEquals(c, c.toBuilder().build());
        assertEquals(3, c.toBuilder().build().streamPriority().streamNice());
        assertEquals(SourceConfig.defaults(), SourceConfig.builder().build());
    }

    @Test
    void buildRefusesWhatTheConstructorRefusesInTheSameWords() {
        assertEquals("at least one memslot, got 0", assertThrows(IllegalArgumentException.class,
                () -> SourceConfig.builder().memslots(0).build()).getMessage());
        assertEquals("guest memory must be a positive multiple of 4 KiB, got 4095", assertThrows(
                IllegalArgumentException.class, () -> SourceConfig.builder().guestBytes(4095).build()).getMessage());
        assertEquals("host", assertThrows(NullPointerException.class,
                () -> SourceConfig.builder().host(null).build()).getMessage());
    }

    @Test
    void toStringNeverShowsTheToken() {
        SourceConfig c = SourceConfig.builder().token("hunter2").build();
        assertTrue(c.requiresToken());
        assertFalse(c.toString().contains("hunter2"), c.toString());
    }
}
