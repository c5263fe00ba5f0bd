package org.postcopysim.dest.uffd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.postcopysim.dest.kvm.AccessResult;
import org.postcopysim.dest.kvm.HostPageTable;
import org.postcopysim.dest.kvm.MemoryFaultExit;
import org.postcopysim.dest.kvm.MemslotFlags;
import org.postcopysim.dest.kvm.Vm;
import org.postcopysim.memory.GuestLayout;

/** The classic path end to end on the models: HOST_FAULT, handle_userfault, read, UFFDIO_COPY, wake, retry. */
class UffdFaultPathTest {
    @Test
    void aHostFaultIsQueuedReadCopiedAndWokenThenTheRetriedAccessMaps() {
        GuestLayout layout = GuestLayout.of(List.of(
                new GuestLayout.Slot(0, 0, 1024, 0),
                new GuestLayout.Slot(1, 10_000, 1000, 0)));
        HostPageTable host = new HostPageTable(layout.totalPages());
        Vm vm = new Vm(layout, true, host);
        UffdSet uffds = UffdSet.shared(layout, 4);
        MemoryFaultExit exit = new MemoryFaultExit();
        UffdMsg msg = new UffdMsg();
        int[] woken = {-1};
        WakeSink sink = id -> woken[0] = id;
        long gfn = 10_007;

        // vCPU 2 faults: no memslot flag lets KVM exit, so it ends on the wait queue.
        assertEquals(AccessResult.HOST_FAULT, vm.access(gfn, true, exit));
        long page = layout.pageIndexOfGfn(exit.gfn());
        Userfaultfd uffd = uffds.forPage(page);
        assertTrue(uffd.handleUserfault(2, page, true, host));

        // The reader reads the fault, "fetches" the page, writes it, then UFFDIO_COPY maps and wakes.
        assertEquals(2, uffd.read(msg));
        assertEquals(gfn, msg.gfn());
        assertTrue(msg.isWrite());
        assertEquals(UffdResult.OK, uffd.copy(host, msg.pageIndex(), false, sink));
        assertEquals(2, woken[0]);

        // The woken vCPU retries the access.
        assertEquals(AccessResult.MAPPED, vm.access(gfn, true, exit));
        assertEquals(AccessResult.HIT, vm.access(gfn, true, exit));
        assertEquals(1, uffd.wakes());
        assertEquals(1, uffd.waitersVisited());
    }

    @Test
    void underExitOnMissingTheVcpuInstallsWithDontWakeAndNobodySleeps() {
        GuestLayout layout = GuestLayout.of(List.of(new GuestLayout.Slot(0, 0, 1024, 0)));
        HostPageTable host = new HostPageTable(layout.totalPages());
        Vm vm = new Vm(layout, true, host);
        vm.setMemslotFlags(0, MemslotFlags.EXIT_ON_MISSING);
        Userfaultfd uffd = UffdSet.shared(layout, 4).get(0);
        MemoryFaultExit exit = new MemoryFaultExit();

        assertEquals(AccessResult.EXIT_MEMORY_FAULT, vm.access(33, false, exit));
        assertEquals(UffdResult.OK, uffd.copy(host, exit.gfn(), true, null));
        assertEquals(UffdResult.EEXIST, uffd.copy(host, exit.gfn(), true, null), "a racing second installer");

        assertEquals(AccessResult.MAPPED, vm.access(33, false, exit));
        assertEquals(0, uffd.wakes());
        assertEquals(0, uffd.faults());
        assertEquals(1, uffd.eexistCount());
    }
}
