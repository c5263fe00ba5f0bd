package org.postcopysim.dest.fetch;

import org.postcopysim.dest.kvm.Memslot;
import org.postcopysim.dest.kvm.Vm;

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

    /**
     * Makes a present page missing again ({@code gfn}, bit {@code bit} of {@code slot}), through
     * the KVM model ({@link Vm#discard}): QEMU's postcopy discard of a page that changed on the
     * source after it was sent. Called with the page's install claim held, before the vCPUs run.
     */
    void makeMissing(Vm vm, Memslot slot, long bit, long gfn);

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

        @Override
        public void makeMissing(Vm vm, Memslot slot, long bit, long gfn) {
            vm.discard(gfn, true, false); // the bit again; the host page stays mapped
        }
    };
}
