package org.postcopysim.dest;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.zip.CRC32C;
import org.postcopysim.dest.vcpu.GuestWriteLog;
import org.postcopysim.memory.GuestLayout;
import org.postcopysim.memory.GuestMemory;
import org.postcopysim.memory.PageContents;

/**
 * Checksums destination memory as the source would see it: each page is copied to a scratch
 * page, the guest writes made on the destination are undone in its counter word, and the
 * CRC32C is taken. The source compares each with its own. Run with the vCPUs stopped.
 */
public final class MemoryVerifier {
    private final GuestMemory.View view;
    private final GuestWriteLog writes;
    private final ByteBuffer scratch = ByteBuffer.allocateDirect(GuestLayout.PAGE_SIZE_BYTES).order(ByteOrder.LITTLE_ENDIAN);
    private final CRC32C crc = new CRC32C();

    public MemoryVerifier(GuestMemory memory, GuestWriteLog writes) {
        this.view = memory.newView();
        this.writes = writes;
    }

    /** The source-equivalent CRC32C of page {@code pageIndex}. */
    public int sourceEquivalentCrc(long pageIndex) {
        scratch.clear();
        scratch.put(view.page(pageIndex));
        scratch.flip();
        long w = writes.writes(pageIndex);
        if (w != 0) {
            int off = PageContents.COUNTER_WORD << 3;
            scratch.putLong(off, scratch.getLong(off) - w);
        }
        return PageContents.crc32c(crc, scratch);
    }
}
