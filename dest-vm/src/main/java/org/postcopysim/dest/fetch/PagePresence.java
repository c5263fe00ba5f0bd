package org.postcopysim.dest.fetch;

import org.postcopysim.dest.kvm.Memslot;

/**
 * What "present" means for a page in a fault mode, and the act that makes it present once its
 * contents are written and verified: clearing the KVM Userfault bit (with release ordering),
 * mapping it in the host page tables (UFFDIO_COPY's install, which may wake uffd waiters), or
 * both. The installer, the fetcher and the vCPU runner all ask the same object, so the three
 * agree on one definition per mode. Implementations allocate nothing.
 */
public interface PagePresence {
    /** Whether the page is present: a vCPU may map and read it. */
    boolean isPresent(Memslot slot, long bit, long pageIndex);

    /**
     * Makes the page present. Called with the page's install claim held, after its contents are
     * in guest memory and verified. Returns false when it was present already (EEXIST).
     */
    boolean makePresent(Memslot slot, long bit, long pageIndex);

    /** KVM Userfault: present when the memslot's userfault bit is clear. */
    PagePresence USERFAULT_BITMAP = new PagePresence() {
        @Override
        public boolean isPresent(Memslot slot, long bit, long pageIndex) {
            return !slot.userfaultBitmap().isSet(bit);
        }

        @Override
        public boolean makePresent(Memslot slot, long bit, long pageIndex) {
            return slot.userfaultBitmap().clear(bit); // store-release: contents before the bit
        }
    };
}
