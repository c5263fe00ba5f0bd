package org.postcopysim.dest.uffd;

/**
 * Result codes of {@link Userfaultfd} ioctls, named after the errno the kernel returns. Ints, so
 * expected outcomes cost no exception.
 */
public final class UffdResult {
    /** The ioctl succeeded. */
    public static final int OK = 0;
    /** EAGAIN: read() found no pending fault. {@link Userfaultfd#read} returns this (-1) instead of a waiter id. */
    public static final int EAGAIN = -1;
    /** EEXIST: UFFDIO_COPY found the page already mapped; two resolvers raced. Nothing was changed or woken. */
    public static final int EEXIST = 17;

    private UffdResult() {
    }

    /** Name of a result code, for logs. */
    public static String name(int result) {
        switch (result) {
            case OK: return "OK";
            case EAGAIN: return "EAGAIN";
            case EEXIST: return "EEXIST";
            default: return "UNKNOWN(" + result + ")";
        }
    }
}
