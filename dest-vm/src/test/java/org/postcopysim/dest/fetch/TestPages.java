package org.postcopysim.dest.fetch;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.zip.CRC32C;
import org.postcopysim.dest.kvm.Memslot;
import org.postcopysim.dest.kvm.MemslotFlags;
import org.postcopysim.dest.kvm.Vm;
import org.postcopysim.memory.GuestLayout;
import org.postcopysim.memory.PageContents;

/** Test helpers: source page contents as ByteBufs, a gapped guest layout, and a VM with every page missing. */
public final class TestPages {
    private TestPages() {}

    /**
     * Three memslots at gapped bases (gfns 0x100, 0x10000, 0x200000) whose sizes are no multiple
     * of 64 (1000, 700, 333 pages): a page's gfn, its bit in its memslot's bitmaps and its dense
     * page index are three different numbers (in the first memslot bit and index coincide, in the
     * others they differ too), and bitmap words do not line up between the three numberings. A
     * mix-up between them writes, clears or requests the wrong page here; with one memslot at gfn 0
     * it goes unseen.
     */
    public static GuestLayout gappedLayout() {
        return GuestLayout.of(java.util.List.of(
                new GuestLayout.Slot(0, 0x100, 1000, 0),
                new GuestLayout.Slot(1, 0x10000, 700, 0),
                new GuestLayout.Slot(2, 0x200000, 333, 0)));
    }

    /** The source's copy of {@code gfn} in a new direct buffer (release it). */
    public static ByteBuf sourcePage(long seed, long gfn) {
        ByteBuffer page = ByteBuffer.allocateDirect(GuestLayout.PAGE_SIZE_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        PageContents.fill(page, seed, gfn);
        return Unpooled.wrappedBuffer(page);
    }

    /** The readable bytes of {@code page} as the installer takes them. */
    public static PageBytes bytes(ByteBuf page) {
        return dst -> page.getBytes(page.readerIndex(), dst);
    }

    /**
     * A whole PAGE_BATCH frame (length field on) of page {@code i} = gfn {@code gfns[i]} with the
     * stated checksum {@code crcs[i]} and the contents of {@code pages[i]} (not released), copied
     * in; {@code round} 0 outside precopy.
     */
    public static ByteBuf batch(io.netty.buffer.ByteBufAllocator alloc, int round, long[] gfns, int[] crcs, ByteBuf[] pages) {
        org.postcopysim.protocol.PageBatchCodec.Writer w = new org.postcopysim.protocol.PageBatchCodec.Writer();
        ByteBuf frame = w.begin(alloc, 0, round, gfns.length, true);
        for (int i = 0; i < gfns.length; i++) {
            w.page(i, gfns[i], crcs[i]);
            w.contents(i, pages[i].nioBuffer());
        }
        return w.finish();
    }

    public static int crc(ByteBuf page) {
        CRC32C c = new CRC32C();
        c.update(page.nioBuffer(page.readerIndex(), page.readableBytes()));
        return (int) c.getValue();
    }

    /** A VM over {@code layout} with KVM_MEM_USERFAULT set and every userfault bit set. */
    public static Vm vmWithAllPagesMissing(GuestLayout layout) {
        Vm vm = new Vm(layout, true);
        for (int i = 0; i < vm.memslotCount(); i++) {
            Memslot slot = vm.memslot(i);
            slot.userfaultBitmap().setAll();
            vm.setMemslotFlags(i, slot.flags() | MemslotFlags.USERFAULT);
        }
        return vm;
    }
}
