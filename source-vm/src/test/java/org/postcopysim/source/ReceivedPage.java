package org.postcopysim.source;

import com.google.protobuf.ByteString;
import java.util.ArrayList;
import java.util.List;
import org.postcopysim.memory.GuestLayout;
import org.postcopysim.protocol.PageBatch;

/** One page of a parsed PageBatch: its gfn, checksum and contents (page i of the batch's three lists). */
record ReceivedPage(long getGfn, int getCrc32C, ByteString getContents) {
    /** The pages of {@code batch}, in order. */
    static List<ReceivedPage> of(PageBatch batch) {
        int n = batch.getPageGfnCount();
        if (batch.getPageCrc32CCount() != n || batch.getContents().size() != n * GuestLayout.PAGE_SIZE_BYTES) {
            throw new AssertionError(n + " gfns, " + batch.getPageCrc32CCount() + " checksums and "
                    + batch.getContents().size() + " bytes of contents in one batch");
        }
        List<ReceivedPage> pages = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            pages.add(new ReceivedPage(batch.getPageGfn(i), batch.getPageCrc32C(i),
                    batch.getContents().substring(i * GuestLayout.PAGE_SIZE_BYTES, (i + 1) * GuestLayout.PAGE_SIZE_BYTES)));
        }
        return pages;
    }
}
