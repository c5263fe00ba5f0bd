package org.postcopysim.sim.migration;

import org.postcopysim.memory.GuestLayout;

/** The kinds and sizes of the simulated migration's messages (the real protocol's frames, by size). */
final class Messages {
    /** A page request, destination to source (PAGE_REQUEST): value = request id, one page. */
    static final int REQUEST = 1;
    /** Pages answering a request (PAGE_BATCH with the request's id). */
    static final int ANSWER = 2;
    /** Background pages (PAGE_BATCH, request id 0). */
    static final int BACKGROUND = 3;

    /** Bytes of a page request frame (header, request id, one gfn). */
    static final long REQUEST_BYTES = 32;
    /** Bytes of a page batch frame's header (length, type, three field tags and lengths: protocol version 2). */
    static final long BATCH_HEADER_BYTES = 16;
    /** Bytes per page in a batch: the page, its gfn (fixed64) and CRC32C (fixed32). */
    static final long PAGE_ENTRY_BYTES = GuestLayout.PAGE_SIZE_BYTES + 12;

    private Messages() {}

    static long batchBytes(int pages) {
        return BATCH_HEADER_BYTES + pages * PAGE_ENTRY_BYTES;
    }
}
