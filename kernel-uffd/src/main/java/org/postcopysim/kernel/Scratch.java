package org.postcopysim.kernel;

import com.sun.jna.Native;
import com.sun.jna.Pointer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A thread's native argument memory for ioctl structures, poll's pollfd and read's message
 * buffer: allocated once per thread, so no system call of a fault allocates. Not thread-safe: one
 * per thread.
 */
public final class Scratch {
    /** Bytes for one ioctl argument (the largest, struct uffdio_copy, is 40). */
    static final int ARG_BYTES = 64;

    final ByteBuffer arg;
    final long argAddress;
    final ByteBuffer messages;
    final long messagesAddress;
    final ByteBuffer pollfd;
    final long pollfdAddress;

    /** @param messageCapacity uffd_msg slots for {@link Uffd#readMessages} (0 for a thread that only issues ioctls) */
    public Scratch(int messageCapacity) {
        arg = direct(ARG_BYTES);
        argAddress = address(arg);
        messages = direct(Math.max(1, messageCapacity) * Uffd.MSG_BYTES);
        messagesAddress = address(messages);
        pollfd = direct(8);
        pollfdAddress = address(pollfd);
    }

    private static ByteBuffer direct(int bytes) {
        return ByteBuffer.allocateDirect(bytes).order(ByteOrder.nativeOrder());
    }

    private static long address(ByteBuffer b) {
        return Pointer.nativeValue(Native.getDirectBufferPointer(b));
    }
}
