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

/** Test helpers: source page contents as ByteBufs, and a VM with every page missing. */
public final class TestPages {
    private TestPages() {}

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
