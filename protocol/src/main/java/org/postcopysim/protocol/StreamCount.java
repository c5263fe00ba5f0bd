package org.postcopysim.protocol;

/**
 * The one limit on a migration's BACKGROUND streams (QEMU's multifd channels): what a destination
 * opens ({@code --streams}) and a source accepts (the DEMAND Hello's {@code streams}).
 */
public final class StreamCount {
    /** Most BACKGROUND streams of one migration (count). */
    public static final int MAX = 16;

    private StreamCount() {}

    /** {@code streams} when it is within 1..{@link #MAX}; otherwise an IllegalArgumentException saying so. */
    public static int check(int streams) {
        if (streams < 1 || streams > MAX) {
            throw new IllegalArgumentException("the stream count must be within 1.." + MAX + ", got " + streams);
        }
        return streams;
    }

    /** The stream count a DEMAND Hello asks for: its {@code streams}, 0 meaning 1 (a destination that predates streams). */
    public static int ofHello(Hello hello) {
        return hello.getStreams() == 0 ? 1 : hello.getStreams();
    }
}
