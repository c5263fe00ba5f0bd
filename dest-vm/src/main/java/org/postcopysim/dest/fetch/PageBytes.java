package org.postcopysim.dest.fetch;

import java.nio.ByteBuffer;

/**
 * The bytes of one arriving page, wherever they are (a received frame, the source's memory in
 * the fault benchmark), copied by the installer straight into guest memory. Implementations are
 * reusable cursors set before each install, so nothing is allocated per page.
 */
public interface PageBytes {
    /** Copies exactly one page into {@code dst} (from its position; the position may move). */
    void copyTo(ByteBuffer dst);

    /** A reusable view of a {@link ByteBuffer} page (position..limit, left unchanged by copies). */
    final class OfByteBuffer implements PageBytes {
        private ByteBuffer page;

        /** Points this view at {@code page} and returns it. */
        public OfByteBuffer of(ByteBuffer page) {
            this.page = page;
            return this;
        }

        @Override
        public void copyTo(ByteBuffer dst) {
            int pos = page.position();
            dst.put(page);
            page.position(pos);
        }
    }
}
