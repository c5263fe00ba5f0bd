package org.postcopysim.dest;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.zip.CRC32C;
import org.postcopysim.dest.kvm.Vm;
import org.postcopysim.guest.GuestWriteLog;
import org.postcopysim.memory.GuestLayout;
import org.postcopysim.memory.GuestMemory;
import org.postcopysim.memory.PageContents;

/**
 * Checksums destination memory as the source would see it: each page is copied to a scratch
 * page, the guest writes made on the destination are undone in its counter word, and the
 * CRC32C is taken. The source compares each with its own. Run with the vCPUs stopped.
 *
 * <p>A page the guest converted between private and shared gave its contents up
 * (docs/kvm-model.md): it must hold zeros but for the guest's writes since, which only its
 * counter word records (at most the writes the page ever saw). When it does, the page is
 * reported with the source's CRC (the contents the guest gave up are not lost pages); when it
 * does not, with its own, so the source reports it as a mismatch.
 */
public final class MemoryVerifier {
    private final GuestMemory.View view;
    private final GuestWriteLog writes;
    /** The VM whose conversions are accounted for; null = none. */
    private final Vm vm;
    private final long contentSeed;
    private final ByteBuffer scratch = ByteBuffer.allocateDirect(GuestLayout.PAGE_SIZE_BYTES).order(ByteOrder.LITTLE_ENDIAN);
    private final CRC32C crc = new CRC32C();

    public MemoryVerifier(GuestMemory memory, GuestWriteLog writes) {
        this(memory, writes, null, 0);
    }

    /** With {@code vm}'s converted pages accounted for; {@code contentSeed} is the source's content seed. */
    public MemoryVerifier(GuestMemory memory, GuestWriteLog writes, Vm vm, long contentSeed) {
        this.view = memory.newView();
        this.writes = writes;
        this.vm = vm;
        this.contentSeed = contentSeed;
    }

    /** The source-equivalent CRC32C of page {@code pageIndex}. */
    public int sourceEquivalentCrc(long pageIndex) {
        scratch.clear();
        scratch.put(view.page(pageIndex));
        scratch.flip();
        long w = writes.writes(pageIndex);
        if (vm != null && vm.isConverted(pageIndex) && isGivenUp(w)) {
            PageContents.fill(scratch, contentSeed, vm.layout().gfnOfPageIndex(pageIndex));
            return PageContents.crc32c(crc, scratch);
        }
        if (w != 0) {
            int off = PageContents.COUNTER_WORD << 3;
            scratch.putLong(off, scratch.getLong(off) - w);
        }
        return PageContents.crc32c(crc, scratch);
    }

    /** Whether the scratch page is a given-up page: zeros, and a counter of at most {@code writes}. */
    private boolean isGivenUp(long writes) {
        long counter = scratch.getLong(PageContents.COUNTER_WORD << 3);
        if (counter < 0 || counter > writes) return false;
        for (int word = PageContents.FIRST_DATA_WORD; word < PageContents.WORDS_PER_PAGE; word++) {
            if (scratch.getLong(word << 3) != 0) return false;
        }
        return true;
    }
}
