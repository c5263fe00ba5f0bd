package org.postcopysim.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.postcopysim.dest.HostBackend;
import org.postcopysim.dest.fault.FaultOptions;
import org.postcopysim.dest.fault.PageProvider;
import org.postcopysim.dest.fetch.FaultMode;
import org.postcopysim.dest.fetch.PageBytes;
import org.postcopysim.dest.fetch.PageInstaller;
import org.postcopysim.dest.model.DestModel;
import org.postcopysim.dest.threads.RunControl;
import org.postcopysim.dest.threads.ThreadedDest;
import org.postcopysim.dest.uffd.UffdSet;
import org.postcopysim.memory.GuestLayout;
import org.postcopysim.memory.PageContents;

/**
 * The kernel backend's install and fault paths against this machine's userfaultfd, below a
 * migration: a page whose checksum is wrong is never copied into guest memory (a later good copy
 * finds the page still missing: no EEXIST), a page the kernel already has is tolerated and counted
 * as EEXIST, a vCPU asleep in the kernel is woken by the install, and a reader that dies fails the
 * run and unregisters the memory, waking the vCPU asleep in the kernel instead of leaving it there.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class KernelBackendTest {
    static final long SEED = 77;
    static final GuestLayout LAYOUT = GuestLayout.contiguous(64 * GuestLayout.PAGE_SIZE_BYTES, 2);

    HostBackend.Guest guest;
    DestModel model;
    PageInstaller.Context ctx;
    RunControl control;

    @BeforeAll
    static void kernelHasUserfaultfd() {
        String why = KernelSupport.unavailableReason(Uffd.Registration.MISSING);
        assumeTrue(why == null, () -> "kernel backend unavailable here: " + why);
    }

    @BeforeEach
    void setUp() {
        guest = KernelBackend.INSTANCE.open(LAYOUT);
        ThreadedDest threaded = new ThreadedDest(1, () -> { }, guest::uffdRunner);
        model = DestModel.build(LAYOUT, new FaultOptions(FaultMode.UFFD, 1, UffdSet.Scope.SHARED, 0, false), 1, true, 0,
                threaded);
        ctx = guest.newContext();
        control = new RunControl();
    }

    @AfterEach
    void tearDown() {
        if (guest != null) {
            control.requestStop();
            runner().stop();
            guest.close();
        }
    }

    KernelUffdRunner runner() {
        return (KernelUffdRunner) model.rig().uffdCopier;
    }

    KernelGuest kernelGuest() {
        return (KernelGuest) guest;
    }

    static ByteBuffer sourcePage(long gfn) {
        ByteBuffer b = ByteBuffer.allocateDirect(GuestLayout.PAGE_SIZE_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        PageContents.fill(b, SEED, gfn);
        b.clear();
        return b;
    }

    static int crc(ByteBuffer page) {
        return PageContents.crc32c(new CRC32C(), page.duplicate().order(ByteOrder.LITTLE_ENDIAN));
    }

    static PageBytes bytes(ByteBuffer page) {
        return dst -> dst.put(page.duplicate());
    }

    int install(long pageIndex, int crc) {
        long gfn = LAYOUT.gfnOfPageIndex(pageIndex);
        return model.installer().install(ctx, gfn, crc, bytes(sourcePage(gfn)));
    }

    long word(long pageIndex, int word) {
        return guest.memory().readWord(pageIndex, word);
    }

    @Test
    void aPageWithAWrongChecksumIsNeverCopiedInAndTheGoodCopyFindsItStillMissing() {
        long p = 5;
        long gfn = LAYOUT.gfnOfPageIndex(p);
        int good = crc(sourcePage(gfn));
        assertEquals(PageInstaller.BAD_CHECKSUM, install(p, good ^ 1));
        assertFalse(model.presence().isPresent(model.vm().memslotOfGfn(gfn), model.vm().memslotOfGfn(gfn).indexOf(gfn), p));
        assertEquals(0, kernelGuest().copies(), "no UFFDIO_COPY of a page that failed its check");
        assertEquals(PageInstaller.INSTALLED, install(p, good));
        assertEquals(1, kernelGuest().copies());
        assertEquals(0, kernelGuest().eexist.get(), "the kernel still had the page missing when the good copy came");
        assertEquals(PageContents.expectedWord(SEED, gfn, 9), word(p, 9));
        assertEquals(PageInstaller.ALREADY_PRESENT, install(p, good), "a second copy is dropped before the ioctl");
        assertEquals(1, kernelGuest().copies());
        assertEquals(1, guest.uffdStats().wakes(), "one UFFDIO_WAKE per page made present");
        assertNull(guest.uffdStats().waitersVisitedPerWake(), "the kernel does not say how many sleepers a wake visited");
    }

    @Test
    void aPageTheKernelHasAlreadyIsToleratedAsEexistAndCounted() {
        long p = 7;
        long gfn = LAYOUT.gfnOfPageIndex(p);
        // Behind the installer's back: a copy of the right contents straight into the registered range.
        GuestRegion src = null;
        try {
            src = GuestRegion.map(1, Uffd.Registration.MISSING);
            GuestRegion.view(src.address(), 0, GuestLayout.PAGE_SIZE_BYTES).put(sourcePage(gfn));
            long dst = kernelGuest().region().address() + p * GuestLayout.PAGE_SIZE_BYTES;
            assertEquals(0, runner().uffdOfPage(p).copy(dst, src.address(), GuestLayout.PAGE_SIZE_BYTES, false, new Scratch(0)));
        } catch (KernelUnavailable e) {
            throw new AssertionError(e);
        } finally {
            if (src != null) src.close();
        }
        assertEquals(PageInstaller.INSTALLED, install(p, crc(sourcePage(gfn))), "EEXIST is tolerated: the model maps it");
        assertEquals(1, kernelGuest().eexist.get());
        assertEquals(1, guest.uffdStats().eexist());
        assertEquals(0, kernelGuest().copies());
    }

    @Test
    void aVcpuAsleepInTheKernelIsWokenByTheInstallOfItsPage() throws Exception {
        long p = 11;
        long gfn = LAYOUT.gfnOfPageIndex(p);
        runner().startReaders((slot, bit, g, pageIndex, c) -> PageProvider.REQUESTED, () -> guest.newContext(), control);
        CompletableFuture<Boolean> vcpu = CompletableFuture.supplyAsync(() -> runner().sleepOnFault(0, 0, p, false, control));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (runner().faultsRead() == 0 && System.nanoTime() < deadline) Thread.sleep(5);
        assertEquals(1, runner().faultsRead(), "the vCPU's touch reached the reader through the kernel");
        assertFalse(vcpu.isDone(), "asleep in the kernel until the page is there");
        assertEquals(PageInstaller.INSTALLED, install(p, crc(sourcePage(gfn))));
        assertTrue(vcpu.get(20, TimeUnit.SECONDS));
        assertEquals(PageContents.expectedWord(SEED, gfn, 3), word(p, 3));
    }

    @Test
    void aReaderThatDiesFailsTheRunAndWakesTheVcpuAsleepInTheKernel() throws Exception {
        long p = 13;
        PageProvider broken = (slot, bit, gfn, pageIndex, c) -> {
            throw new IllegalStateException("the provider broke");
        };
        runner().startReaders(broken, () -> guest.newContext(), control);
        CompletableFuture<Boolean> vcpu = CompletableFuture.supplyAsync(() -> runner().sleepOnFault(0, 0, p, false, control));
        assertFalse(vcpu.get(20, TimeUnit.SECONDS), "woken by the unregistration, and told the run stopped");
        String why = control.failureText();
        assertNotNull(why);
        assertTrue(why.contains("uffd reader uffd-reader-0-0 died") && why.contains("the provider broke")
                && why.contains("unregistered"), why);
        assertTrue(runner().unregistered());
    }
}
