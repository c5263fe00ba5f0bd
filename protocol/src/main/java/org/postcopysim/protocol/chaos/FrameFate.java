package org.postcopysim.protocol.chaos;

/**
 * What fault injection does to one frame, as {@link ChaosDecider} decided it: plain data.
 *
 * @param duplicate send (deliver) an intact copy right after the frame
 * @param reorder hold the frame until the next page frame has gone, then swap
 * @param corrupt flip the frame's last byte (only ever for a frame with pages)
 * @param holdNs how long to hold the frame ({@code delay} plus {@code jitter}, ns), 0 for none
 * @param throttled pass the frame through the shared {@code slow-source} cap
 */
public record FrameFate(boolean duplicate, boolean reorder, boolean corrupt, long holdNs, boolean throttled) {
    /** The fate of every frame that is not a page frame, and of page frames under an empty spec. */
    public static final FrameFate UNTOUCHED = new FrameFate(false, false, false, 0, false);

    /** True when {@code delay} or {@code jitter} holds the frame. */
    public boolean delayed() {
        return holdNs > 0;
    }

    /** When the frame may leave at the earliest, before any {@code slow-source} cap (ns). */
    public long releaseAtNs(long nowNs) {
        return nowNs + holdNs;
    }
}
