package org.postcopysim.protocol;

import io.netty.channel.Channel;
import io.netty.util.AttributeKey;

/**
 * The reasons a channel's reading is paused, counted: reads go on once every reason is gone.
 * Several handlers pause a connection's reads for reasons of their own (chaos holding too many
 * inbound bytes, a stream holding its page frames until the discard set is applied, the source's
 * backpressure on a destination that requests faster than it drains); with {@code autoRead}
 * alone, the first to resume would undo the others' pauses. Each caller owns one reason and
 * pauses and resumes it at most once each in turn (it keeps its own flag). Event-loop confined.
 */
public final class ReadPauses {
    private static final AttributeKey<ReadPauses> KEY = AttributeKey.valueOf(ReadPauses.class, "readPauses");

    private int reasons;

    private ReadPauses() {
    }

    private static ReadPauses of(Channel ch) {
        ReadPauses p = ch.attr(KEY).get();
        if (p == null) {
            p = new ReadPauses();
            ch.attr(KEY).set(p);
        }
        return p;
    }

    /** One more reason not to read {@code ch}: reads stop. */
    public static void pause(Channel ch) {
        of(ch).reasons++;
        ch.config().setAutoRead(false);
    }

    /** A reason given to {@link #pause} is gone: when it was the last, reads go on (an open channel's). */
    public static void resume(Channel ch) {
        ReadPauses p = of(ch);
        if (p.reasons == 0) throw new IllegalStateException("a resume of reads nobody paused");
        if (--p.reasons == 0 && ch.isActive()) ch.config().setAutoRead(true);
    }

    /** Reasons {@code ch}'s reads are paused for now (count). */
    public static int reasons(Channel ch) {
        ReadPauses p = ch.attr(KEY).get();
        return p == null ? 0 : p.reasons;
    }
}
