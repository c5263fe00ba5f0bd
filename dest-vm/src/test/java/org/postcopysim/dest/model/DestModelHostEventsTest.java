package org.postcopysim.dest.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.netty.buffer.ByteBuf;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.postcopysim.dest.fault.FaultOptions;
import org.postcopysim.dest.fault.FaultPath;
import org.postcopysim.dest.fault.NetworkPageProvider;
import org.postcopysim.dest.fault.UffdCopier;
import org.postcopysim.dest.fault.UffdPaths;
import org.postcopysim.dest.fetch.FaultMode;
import org.postcopysim.dest.fetch.PageInstaller;
import org.postcopysim.dest.fetch.TestPages;
import org.postcopysim.dest.kvm.AccessResult;
import org.postcopysim.dest.kvm.HostEvent;
import org.postcopysim.dest.kvm.HostPageTable;
import org.postcopysim.dest.kvm.MemoryFaultExit;
import org.postcopysim.dest.kvm.Memslot;
import org.postcopysim.dest.kvm.MmuOptions;
import org.postcopysim.dest.kvm.VmType;
import org.postcopysim.dest.kvm.Vm;
import org.postcopysim.dest.metrics.LatencyRecorder;
import org.postcopysim.dest.uffd.UffdMsg;
import org.postcopysim.dest.uffd.UffdSet;
import org.postcopysim.dest.uffd.WakeSink;
import org.postcopysim.dest.vcpu.GuestAccess;
import org.postcopysim.dest.vcpu.VcpuCounters;
import org.postcopysim.guest.SplitMix64;
import org.postcopysim.guest.Workload;
import org.postcopysim.memory.GuestLayout;
import org.postcopysim.memory.GuestMemory;
import org.postcopysim.memory.PageContents;

/**
 * Host events through the whole destination model, in each fault mode that migrates: a page that
 * arrived and that the host then reclaims, migrates or write-protects refaults locally (inside KVM,
 * or in the host fault, or through an exit and MADV_POPULATE under exit-on-missing), never with a
 * network request or a userfault; a page that never arrived never gets a stage-2 entry, whatever
 * the host does to it. Driven single-threaded: the test is the vCPU, the uffd reader and the
 * network. The negative controls mark an arrived page missing again (the VMM's mistake) and show
 * the refetch is counted and reported by the MMU invariants.
 */
class DestModelHostEventsTest {
    private static final long CONTENT_SEED = 0xC0FFEE;

    /** The modes that migrate (none has no fetcher). */
    enum Mode {
        KVM_USERFAULT(FaultMode.KVM_USERFAULT),
        EXIT_ON_MISSING(FaultMode.EXIT_ON_MISSING),
        UFFD(FaultMode.UFFD),
        UFFD_KVM_USERFAULT(FaultMode.UFFD_KVM_USERFAULT);

        final FaultMode mode;

        Mode(FaultMode mode) {
            this.mode = mode;
        }
    }

    /** One destination, its single vCPU, a network that records requests, and the uffd reader. */
    static final class Harness implements DestModel.Hooks, AutoCloseable {
        final GuestLayout layout = GuestLayout.of(List.of(
                new GuestLayout.Slot(0, 0x100, 1000, 0),
                new GuestLayout.Slot(1, 0x10000, 700, 0)));
        final FaultMode mode;
        final GuestMemory memory = GuestMemory.allocate(layout.totalPages());
        final PageInstaller.Context ctx = new PageInstaller.Context(memory);
        final List<Long> requests = new ArrayList<>();
        final Map<Long, Integer> requestsPerGfn = new HashMap<>();
        final DestModel model;
        final DestModel.Vcpu vcpu;
        final NetworkPageProvider provider;
        final MemoryFaultExit exit = new MemoryFaultExit();
        final UffdMsg msg = new UffdMsg();
        final HostEvent event = new HostEvent();
        long lastExitFlags = -1;
        /** The page the vCPU sleeps on in the uffd, or -1. */
        long queuedPage = -1;
        /** Requests answered so far. */
        int answered;
        long now;

        Harness(FaultMode mode, long seed) {
            this(mode, seed, MmuOptions.DEFAULT, 0);
        }

        Harness(FaultMode mode, long seed, MmuOptions mmu, double internalFraction) {
            this.mode = mode;
            FaultOptions faults = new FaultOptions(mode, 1, UffdSet.Scope.SHARED, internalFraction, false);
            this.model = DestModel.build(layout, faults, 1, true, 0, this, mmu);
            this.provider = new NetworkPageProvider(model.useNetwork(3, (id, gfn, urgent) -> {
                requests.add(gfn);
                requestsPerGfn.merge(gfn, 1, Integer::sum);
            }));
            this.vcpu = model.addVcpu(0, memory, Workload.parse("uniform", 0.4), seed, CONTENT_SEED, 0, provider,
                    LatencyRecorder.NONE);
        }

        @Override
        public UffdCopier uffdCopier(UffdPaths paths) {
            return pageIndex -> paths.copy(pageIndex, WakeSink.NONE);
        }

        @Override
        public void onInstalled(long pageIndex, long gfn, boolean last) {
        }

        Vm vm() {
            return model.vm();
        }

        VcpuCounters counters() {
            return vcpu.counters();
        }

        long pageIndex(long gfn) {
            return layout.pageIndexOfGfn(gfn);
        }

        /** The network answers: the source's copy of {@code gfn} arrives and is installed. */
        int arrive(long gfn) {
            if (pageIndex(gfn) == queuedPage) queuedPage = -1; // the copy wakes it
            ByteBuf page = TestPages.sourcePage(CONTENT_SEED, gfn);
            try {
                return model.installer().install(ctx, gfn, TestPages.crc(page), TestPages.bytes(page));
            } finally {
                page.release();
            }
        }

        /** Answers every request not answered yet. */
        void answerAll() {
            while (answered < requests.size()) arrive(requests.get(answered++));
        }

        /**
         * One vCPU access to {@code gfn}, resolved as far as it goes without the network: returns
         * {@link AccessResult#HIT} or {@link AccessResult#MAPPED} when it touched memory, -1 when it
         * waits for a page from the network (requested, or joined a request).
         */
        int touch(long gfn, boolean write) {
            return resolve(() -> vm().access(gfn, write, exit), exit, gfn, write, true);
        }

        /** The vCPU's current access ({@link GuestAccess#attempt}: the vCPU's, or KVM's own through the pfn cache). */
        int attempt(GuestAccess a) {
            return resolve(a::attempt, a.exit(), a.gfn(), a.isWrite(), false);
        }

        private int resolve(java.util.function.IntSupplier access, MemoryFaultExit exit, long gfn, boolean write,
                            boolean countExits) {
            FaultPath path = vcpu.path();
            for (int attempt = 0; attempt < 16; attempt++) {
                int r = access.getAsInt();
                switch (r) {
                    case AccessResult.HIT:
                    case AccessResult.MAPPED:
                        return r;
                    case AccessResult.RETRY:
                        continue;
                    case AccessResult.EXIT_MEMORY_FAULT: {
                        if (countExits) counters().exits++;
                        lastExitFlags = exit.flags();
                        int p = path.onExit(exit, ctx, now);
                        if (p == FaultPath.RESOLVED) {
                            path.resumed(now);
                            continue;
                        }
                        assertEquals(FaultPath.WAIT_PRESENT, p, path.failureText());
                        path.abandoned(now);
                        return -1;
                    }
                    case AccessResult.HOST_FAULT: {
                        assertEquals(FaultPath.SLEEP_UFFD, path.onHostFault(exit, ctx, now), path.failureText());
                        UffdPaths uffd = model.uffd();
                        int u = path.uffdIndex();
                        long page = pageIndex(gfn);
                        if (queuedPage == page) {
                            path.abandoned(now);
                            return -1; // the vCPU still sleeps on the wait queue of its first fault
                        }
                        if (uffd.fault(u, 0, page, write)) {
                            queuedPage = page;
                            assertEquals(0, uffd.read(u, msg));
                            int res = uffd.resolve(msg, provider, ctx);
                            if (res == UffdPaths.NEEDS_WAKE) uffd.wakePage(page, WakeSink.NONE);
                        }
                        path.abandoned(now);
                        if (path.isPresent()) continue;
                        return -1;
                    }
                    default:
                        fail("unexpected access result " + AccessResult.name(r) + " on gfn 0x" + Long.toHexString(gfn));
                }
            }
            fail("gfn 0x" + Long.toHexString(gfn) + " kept retrying");
            return -2;
        }

        /** {@link #touch}, then the guest's write when it touched memory and writes (the counter word, logged). */
        int touchAndDo(long gfn, boolean write) {
            int r = touch(gfn, write);
            if (r >= 0 && write) {
                long page = pageIndex(gfn);
                memory.getAndAddWord(page, PageContents.COUNTER_WORD, 1);
                model.writeLog().recordWrite(page);
            }
            return r;
        }

        /** A page fetched: faulted (a request), answered, touched. */
        void fetch(long gfn) {
            assertEquals(-1, touch(gfn, false), "missing at first");
            assertEquals(gfn, requests.get(requests.size() - 1));
            assertEquals(PageInstaller.INSTALLED, arrive(gfn));
            assertEquals(AccessResult.MAPPED, touchAndDo(gfn, true));
        }

        @Override
        public void close() {
            memory.close();
        }
    }

    private static void applyEvent(Harness h, int kind, long gfn) {
        h.model.hostEventDriver().apply(h.event.set(kind, gfn, 0), h.ctx);
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void anArrivedPageThatTheHostZapsRefaultsLocallyWithoutANetworkRequestOrAUserfault(Mode m) {
        try (Harness h = new Harness(m.mode, 1)) {
            long gfn = 0x10005;
            h.fetch(gfn);
            assertEquals(1, h.requests.size());
            int kinds = 0;
            for (int kind : new int[] {HostEvent.RECLAIM, HostEvent.MIGRATE, HostEvent.MPROTECT_RO}) {
                long refaults = h.model.localRefaults();
                long exits = h.counters().exits;
                long hostFaults = h.counters().hostFaults;
                applyEvent(h, kind, gfn);
                Memslot slot = h.vm().memslotOfGfn(gfn);
                assertFalse(slot.stage2().isMapped(gfn), HostEvent.name(kind) + " zapped the entry");

                assertEquals(AccessResult.MAPPED, h.touchAndDo(gfn, true), HostEvent.name(kind));

                assertEquals(refaults + 1, h.model.localRefaults(), HostEvent.name(kind) + ": a local refault");
                assertEquals(1, h.requests.size(), HostEvent.name(kind) + ": no network request");
                assertEquals(0, h.model.refetchedArrivedPages());
                assertEquals(hostFaults, h.counters().hostFaults, HostEvent.name(kind) + ": no userfault on the uffd");
                if (m.mode == FaultMode.EXIT_ON_MISSING && kind != HostEvent.MIGRATE) {
                    assertEquals(exits + 1, h.counters().exits, "exit-on-missing's fast lookup fails: an exit");
                    assertEquals(0, h.lastExitFlags & MemoryFaultExit.FLAG_USERFAULT);
                } else {
                    assertEquals(exits, h.counters().exits, HostEvent.name(kind) + ": no exit");
                }
                assertEquals(HostPageTable.READ_WRITE, h.vm().host().state(h.pageIndex(gfn)));
                assertEquals(List.of(), h.model.mmuViolations());
                kinds++;
            }
            assertEquals(3, kinds);
            // The guest's writes survived: the counter word is the source's plus the writes.
            long page = h.pageIndex(gfn);
            assertEquals(4, h.model.writeLog().writes(page), "the fetch's write and one per event");
            assertEquals(PageContents.expectedWord(CONTENT_SEED, gfn, PageContents.COUNTER_WORD) + 4,
                    h.memory.readWord(page, PageContents.COUNTER_WORD));
        }
    }

    @ParameterizedTest
    @EnumSource(value = Mode.class, names = {"UFFD", "UFFD_KVM_USERFAULT", "KVM_USERFAULT"})
    void aReclaimedArrivedPageComesBackInTheHostFaultWithoutAUserfault(Mode m) {
        try (Harness h = new Harness(m.mode, 2)) {
            long gfn = 0x123;
            h.fetch(gfn);
            applyEvent(h, HostEvent.RECLAIM, gfn);
            assertEquals(HostPageTable.SWAPPED, h.vm().host().state(h.pageIndex(gfn)));
            long exits = h.counters().exits;
            long hostFaults = h.counters().hostFaults;
            assertEquals(AccessResult.MAPPED, h.touch(gfn, false));
            assertEquals(1, h.vm().swapIns(), "swapped in by get_user_pages");
            assertEquals(hostFaults, h.counters().hostFaults, "no userfault");
            assertEquals(exits, h.counters().exits);
            assertEquals(1, h.requests.size());
            assertEquals(List.of(), h.model.mmuViolations());
        }
    }

    @ParameterizedTest
    @EnumSource(value = Mode.class, names = "UFFD")
    void aFaultThatFoundThePageMissingDoesNotSleepWhenItArrivedAndWasReclaimedMeanwhile(Mode m) {
        // userfaultfd_must_wait: only a none PTE waits; a swap entry means the page is there
        // (it arrived, the host reclaimed it), so handle_userfault returns and the access retries.
        try (Harness h = new Harness(m.mode, 7)) {
            long gfn = 0x10030;
            long page = h.pageIndex(gfn);
            assertEquals(AccessResult.HOST_FAULT, h.vm().access(gfn, false, h.exit));
            assertEquals(PageInstaller.INSTALLED, h.arrive(gfn)); // the background stream, meanwhile
            assertTrue(h.model.hostEventDriver().reclaim(gfn));
            UffdPaths uffd = h.model.uffd();
            assertFalse(uffd.fault(uffd.uffdOf(page), 0, page, false), "a swapped-out page must not wait on the uffd");
            assertEquals(0, uffd.sleeps());
            assertEquals(AccessResult.MAPPED, h.vm().access(gfn, false, h.exit), "the retry swaps it in");
            assertEquals(1, h.vm().swapIns());
            assertEquals(List.of(), h.model.mmuViolations());
        }
    }

    @ParameterizedTest
    @EnumSource(value = Mode.class, names = "EXIT_ON_MISSING")
    void underExitOnMissingAReclaimedArrivedPageExitsAgainAndIsPopulatedLocally(Mode m) {
        try (Harness h = new Harness(m.mode, 3)) {
            long gfn = 0x124;
            h.fetch(gfn);
            for (int round = 1; round <= 3; round++) {
                applyEvent(h, HostEvent.RECLAIM, gfn);
                assertEquals(AccessResult.MAPPED, h.touch(gfn, round % 2 == 0));
                assertEquals(round, h.counters().reclaimedPopulates, "MADV_POPULATE brought it back from swap");
                assertEquals(round, h.counters().populates);
                assertEquals(round, h.vm().swapIns());
                assertEquals(1, h.requests.size(), "never fetched again");
                assertEquals(0, h.model.refetchedArrivedPages());
            }
            assertEquals(List.of(), h.model.mmuViolations());
        }
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void aMissingPageNeverGetsAStage2EntryWhateverTheHostDoes(Mode m) {
        try (Harness h = new Harness(m.mode, 4)) {
            long gfn = 0x10010;
            Memslot slot = h.vm().memslotOfGfn(gfn);
            h.fetch(gfn + 1); // a neighbour that arrived, so events run next to mapped memory
            for (int kind = 0; kind < HostEvent.KINDS; kind++) {
                applyEvent(h, kind, gfn);
                assertFalse(slot.stage2().isMapped(gfn), HostEvent.name(kind));
                int r = h.touch(gfn, kind % 2 == 0);
                assertEquals(-1, r, HostEvent.name(kind) + ": the access waits for the network");
                assertFalse(slot.stage2().isMapped(gfn), HostEvent.name(kind) + ": still no entry");
                assertEquals(List.of(), h.model.mmuViolations(), HostEvent.name(kind));
            }
            assertEquals(1, h.requestsPerGfn.get(gfn), "one request, the rest joined it");
            assertEquals(PageInstaller.INSTALLED, h.arrive(gfn));
            assertEquals(AccessResult.MAPPED, h.touch(gfn, true));
            assertEquals(0, h.model.refetchedArrivedPages());
            assertEquals(List.of(), h.model.mmuViolations());
        }
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void aRandomRunWithHostEventsKeepsEveryInvariantAndEveryGuestWrite(Mode m) {
        for (long seed = 1; seed <= 4; seed++) {
            try (Harness h = new Harness(m.mode, seed)) {
                randomRun(h, seed, 4000);
                assertEquals(List.of(), h.model.mmuViolations(), m + " seed " + seed);
                assertEquals(0, h.model.refetchedArrivedPages());
                for (Map.Entry<Long, Integer> e : h.requestsPerGfn.entrySet()) {
                    assertEquals(1, e.getValue(), "gfn 0x" + Long.toHexString(e.getKey()) + " was requested more than once");
                }
                assertEquals(0, h.counters().staleReads);
                assertTrue(h.model.localRefaults() > 0, "host events made pages refault locally");
                assertTrue(h.model.hostEvents() > 100);
                assertEquals(-1, pageThatLostWrites(h), "a page lost guest writes");
            }
        }
    }

    @ParameterizedTest
    @EnumSource(value = Mode.class, names = {"KVM_USERFAULT", "UFFD_KVM_USERFAULT"})
    void aRandomRunWithPrivateMemoryConversionsAndKvmsOwnAccessesKeepsEveryInvariant(Mode m) {
        for (long seed = 1; seed <= 4; seed++) {
            MmuOptions mmu = new MmuOptions(seed % 2 == 0 ? VmType.GUEST_MEMFD_PRIVATE : VmType.DEFAULT, seed > 2, true, 0, 0)
                    .withPrivateMemory(0.3, seed);
            double internal = m.mode == FaultMode.UFFD_KVM_USERFAULT ? 0.3 : 0;
            try (Harness h = new Harness(m.mode, seed, mmu, internal)) {
                randomRun(h, seed, 4000, HostEvent.KINDS);
                assertEquals(List.of(), h.model.mmuViolations(), m + " seed " + seed);
                assertEquals(0, h.model.refetchedArrivedPages());
                for (Map.Entry<Long, Integer> e : h.requestsPerGfn.entrySet()) {
                    assertEquals(1, e.getValue(), "gfn 0x" + Long.toHexString(e.getKey()) + " was requested more than once");
                }
                assertEquals(0, h.counters().staleReads);
                assertTrue(h.vm().conversions() > 0);
                if (internal > 0) {
                    assertTrue(h.counters().internalAccesses > 0);
                    assertTrue(h.model.pfnCacheRefreshes() > 0);
                }
                assertEquals(-1, pageThatLostWrites(h), "a page lost guest writes");
            }
        }
    }

    /** The first arrived, unconverted page whose counter word is not the source's plus the guest's writes, or -1. */
    private static long pageThatLostWrites(Harness h) {
        for (long p = 0; p < h.layout.totalPages(); p++) {
            if (!h.model.installer().hasArrived(p) || h.vm().isConverted(p)) continue;
            long gfn = h.layout.gfnOfPageIndex(p);
            if (h.memory.readWord(p, PageContents.COUNTER_WORD) - h.model.writeLog().writes(p)
                    != PageContents.expectedWord(CONTENT_SEED, gfn, PageContents.COUNTER_WORD)) {
                return p;
            }
        }
        return -1;
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void negativeControlTheWriteCheckCatchesASecondCopyOverAnArrivedPage(Mode m) {
        try (Harness h = new Harness(m.mode, 11)) {
            randomRun(h, 11, 2000);
            assertEquals(-1, pageThatLostWrites(h));
            long written = -1;
            for (long p = 0; p < h.layout.totalPages() && written < 0; p++) {
                if (h.model.writeLog().writes(p) > 0) written = p;
            }
            assertTrue(written >= 0, "the run wrote");
            // What a refetch would do: the source's copy lands over the guest's writes.
            long gfn = h.layout.gfnOfPageIndex(written);
            h.memory.writeWord(written, PageContents.COUNTER_WORD,
                    PageContents.expectedWord(CONTENT_SEED, gfn, PageContents.COUNTER_WORD));
            assertEquals(written, pageThatLostWrites(h));
        }
    }

    /**
     * The vCPU runs its workload; between accesses the host reclaims, migrates and changes
     * protections at random, some of the events stepped around an access; the network answers
     * every request at once and a background stream pushes pages now and then.
     */
    private static void randomRun(Harness h, long seed, int steps) {
        randomRun(h, seed, steps, 4);
    }

    /** @param kinds host-event kinds drawn: 4 without conversions, {@link HostEvent#KINDS} with them */
    private static void randomRun(Harness h, long seed, int steps, int kinds) {
        SplitMix64 rng = new SplitMix64(seed * 31 + 7);
        GuestAccess a = h.vcpu.access();
        long pages = h.layout.totalPages();
        for (int step = 0; step < steps; step++) {
            double u = rng.nextDouble();
            if (u < 0.15) {
                long gfn = h.layout.gfnOfPageIndex(rng.nextLong(pages));
                int kind = (int) rng.nextLong(kinds); // reclaim, migrate, mprotect-ro, mprotect-rw[, convert]
                if (rng.nextDouble() < 0.5) {
                    applyEvent(h, kind, gfn);
                } else {
                    // Stepped: a fault on the same gfn between begin and end must not map.
                    HostEventDriver d = h.model.hostEventDriver();
                    d.begin(h.event.set(kind, gfn, 0));
                    if (h.event.notifies()) {
                        assertNotEquals(AccessResult.MAPPED, h.vm().access(gfn, true, h.exit));
                    }
                    if (h.event.notifies()) {
                        assertNotEquals(AccessResult.MAPPED, h.vm().access(gfn, false, h.exit));
                    }
                    assertEquals(HostEventDriver.DONE, d.change(h.event, h.ctx));
                    d.end(h.event);
                }
                continue;
            }
            if (u < 0.18) {
                h.arrive(h.layout.gfnOfPageIndex(rng.nextLong(pages))); // the background stream
                continue;
            }
            a.next();
            for (int tries = 0; ; tries++) {
                assertTrue(tries < 4, "access kept waiting");
                int r = h.attempt(a);
                if (r >= 0) break;
                h.answerAll();
            }
            assertTrue(a.complete(), a.failureText());
        }
    }

    // ---- negative controls: a deliberate refetch is counted and reported ------------------------

    @ParameterizedTest
    @EnumSource(value = Mode.class, names = {"KVM_USERFAULT", "UFFD_KVM_USERFAULT"})
    void negativeControlAnArrivedPageMarkedMissingAgainIsRefetchedAndReported(Mode m) {
        try (Harness h = new Harness(m.mode, 5)) {
            long gfn = 0x10020;
            h.fetch(gfn);
            Memslot slot = h.vm().memslotOfGfn(gfn);
            // The VMM's mistake: it sets the bit of a page that arrived, then re-arms USERFAULT (the zap).
            slot.userfaultBitmap().set(slot.indexOf(gfn));
            int position = slot == h.vm().memslot(0) ? 0 : 1;
            h.vm().setMemslotFlags(position, slot.flags() & ~org.postcopysim.dest.kvm.MemslotFlags.USERFAULT);
            h.vm().setMemslotFlags(position, slot.flags() | org.postcopysim.dest.kvm.MemslotFlags.USERFAULT);
            assertEquals(-1, h.touch(gfn, false));
            assertEquals(2, h.requestsPerGfn.get(gfn));
            assertEquals(1, h.model.refetchedArrivedPages());
            List<String> v = h.model.mmuViolations();
            assertTrue(v.stream().anyMatch(s -> s.startsWith("1 network requests were sent for pages that had arrived")),
                    v.toString());
        }
    }

    @ParameterizedTest
    @EnumSource(value = Mode.class, names = {"UFFD", "EXIT_ON_MISSING"})
    void negativeControlAnArrivedPageDiscardedByTheHostIsRefetchedAndReported(Mode m) {
        try (Harness h = new Harness(m.mode, 6)) {
            long gfn = 0x10021;
            h.fetch(gfn);
            assertTrue(h.vm().unmapHostPage(gfn)); // MADV_DONTNEED of an arrived page: its contents are gone
            assertEquals(-1, h.touch(gfn, true));
            assertEquals(1, h.model.refetchedArrivedPages());
            assertFalse(h.model.mmuViolations().isEmpty());
        }
    }
}
