package org.postcopysim.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.Test;

/**
 * Two handlers pause one channel's reads for reasons of their own: reads go on only when both
 * have resumed. The negative control is what the handlers did before, each switching
 * {@code autoRead} itself: the first to resume turns reading back on under the other's pause.
 */
class ReadPausesTest {
    @Test
    void readsGoOnOnlyOnceEveryReasonIsGone() {
        EmbeddedChannel ch = new EmbeddedChannel();
        ReadPauses.pause(ch); // chaos holds too many bytes
        ReadPauses.pause(ch); // a stream holds its page frames
        assertFalse(ch.config().isAutoRead());
        ReadPauses.resume(ch);
        assertFalse(ch.config().isAutoRead(), "one reason is left");
        assertEquals(1, ReadPauses.reasons(ch));
        ReadPauses.resume(ch);
        assertTrue(ch.config().isAutoRead());
        assertThrows(IllegalStateException.class, () -> ReadPauses.resume(ch), "a resume nobody paused is a bug");
        ch.finishAndReleaseAll();
    }

    @Test
    void negativeControlEachHandlerSwitchingAutoReadItselfResumesUnderTheOthersPause() {
        EmbeddedChannel ch = new EmbeddedChannel();
        ch.config().setAutoRead(false); // chaos
        ch.config().setAutoRead(false); // the held stream
        ch.config().setAutoRead(true); // chaos drained
        assertTrue(ch.config().isAutoRead(), "reading again while the stream still holds: what ReadPauses prevents");
        ch.finishAndReleaseAll();
    }
}
