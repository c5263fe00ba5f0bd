package org.postcopysim.dest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.postcopysim.dest.metrics.Log2Buckets;
import org.postcopysim.guest.Workload;
import org.postcopysim.source.SourceConfig;
import org.postcopysim.source.SourceResult;
import org.postcopysim.source.SourceVm;

/** A whole migration inside one JVM over real loopback sockets: every page must verify. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class LoopbackMigrationTest {

    /** What each side of one migration reported. */
    record Both(MigrationSummary dest, SourceResult source) {}

    static MigrationSummary migrate(SourceConfig sourceConfig, DestConfig destTemplate) {
        return migrateBoth(sourceConfig, destTemplate).dest();
    }

    static Both migrateBoth(SourceConfig sourceConfig, DestConfig destTemplate) {
        try (SourceVm source = SourceVm.start(sourceConfig, new SimpleMeterRegistry())) {
            DestConfig dest = destTemplate.toBuilder().host("127.0.0.1").port(source.boundAddress().getPort()).build();
            MigrationSummary summary = DestVm.run(dest, new SimpleMeterRegistry());
            SourceResult sr;
            try {
                sr = source.completion().orTimeout(30, TimeUnit.SECONDS).join();
            } catch (java.util.concurrent.CompletionException e) {
                return org.junit.jupiter.api.Assertions.fail("no verdict from the source within 30 s; the destination's: "
                        + (summary.verified() ? "verified" : summary.error()), e);
            }
            assertEquals(summary.verified(), sr.verified(), "both sides agree on the verdict");
            return new Both(summary, sr);
        }
    }

    /**
     * The counts of a migration without fault injection or recovery, each side's against the
     * other's and against counts taken elsewhere on the same side: each demand fault sent one
     * request and nothing else sent any; the source received every request; every fault that
     * waited has one latency sample; the exits cover every demand and redundant fault; every page
     * was installed once, and no more copies arrived than the source sent.
     */
    static void assertCountsAddUp(Both both) {
        MigrationSummary s = both.dest();
        SourceResult sr = both.source();
        assertEquals(s.pagesTotal(), s.backgroundPages() + s.demandPages(), "each page installed exactly once");
        assertEquals(s.demandFaults(), s.pageRequests(), "one request per demand fault (fetcher against vCPU counts)");
        assertEquals(s.pageRequests(), sr.pageRequests(), "the source received every request");
        assertEquals(s.demandFaults() + s.redundantFaults(), s.faultLatencyNs().count(),
                "one latency sample per fault that waited (recorded on resume, counted on exit)");
        assertTrue(s.exits() >= s.demandFaults() + s.redundantFaults(),
                s.exits() + " exits for " + s.demandFaults() + " demand and " + s.redundantFaults() + " redundant faults");
        assertEquals(s.pagesTotal() + sr.duplicatePagesSent(), sr.demandPagesSent() + sr.backgroundPagesSent(),
                "the source sent each page once, plus the requested pages it had sent already");
        assertTrue(s.demandPages() <= sr.demandPagesSent(), "no demand copy arrived that the source did not send");
        assertTrue(s.pagesTotal() + s.duplicatePages() <= sr.demandPagesSent() + sr.backgroundPagesSent(),
                "no copy arrived that the source did not send");
        assertEquals(0, s.crcFailures());
    }

    @Test
    void everyPageIsVerifiedAndTheCountsAddUp() {
        SourceConfig src = SourceConfig.builder().guestBytes(32L << 20).maxBackgroundBytesPerSec(16L << 20).build();
        DestConfig dst = DestConfig.builder("127.0.0.1", 0).seed(11).build();
        Both both = migrateBoth(src, dst);
        MigrationSummary s = both.dest();
        assertNull(s.error());
        assertTrue(s.verified());
        assertEquals(8192, s.pagesTotal());
        assertEquals(8192, s.pagesVerified());
        assertEquals(0, s.pageMismatches());
        assertEquals(0, s.staleReads());
        assertEquals(0, s.pagesMissing());
        assertTrue(s.missingGfnRanges().isEmpty());
        assertTrue(s.demandFaults() > 0, "with a capped stream the vCPUs fault on missing pages");
        assertCountsAddUp(both);
        assertTrue(s.faultLatencyNs().p50() > 0 && s.faultLatencyNs().p50() <= s.faultLatencyNs().max());
        assertTrue(s.guestWrites() > 0 && s.guestReads() > 0);
        assertTrue(s.hugeMappingsRecovered() > 0, "clearing KVM_MEM_USERFAULT rebuilt 2 MiB mappings");
        assertTrue(s.bytesTransferred() >= s.pagesTotal() * 4096L);
    }

    @Test
    void theRegistryHoldsTheMetricsTheSummaryReports() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (SourceVm source = SourceVm.start(SourceConfig.builder().guestBytes(8L << 20)
                .maxBackgroundBytesPerSec(4L << 20).build(), new SimpleMeterRegistry())) {
            DestConfig dest = DestConfig.builder("127.0.0.1", source.boundAddress().getPort()).vcpus(2).build();
            MigrationSummary s = DestVm.run(dest, registry);
            assertTrue(s.verified(), s.error());
            assertEquals(s.faultLatencyNs().count(), registry.get(DestMetrics.FAULT_LATENCY).timer().count());
            assertEquals(s.demandFaults(), (long) registry.get(DestMetrics.DEMAND_FAULTS).functionCounter().count());
            double exits = 0;
            for (var c : registry.get(DestMetrics.EXITS).functionCounters()) exits += c.count();
            assertEquals(s.exits(), (long) exits, "the per-vCPU exits sum to the run's");
            assertEquals(s.exitsPerVcpu()[1],
                    (long) registry.get(DestMetrics.EXITS).tag("vcpu", "1").functionCounter().count());
            assertEquals(s.pagesTotal(), (long) registry.get(DestMetrics.PAGES_PRESENT).gauge().value());
            assertEquals(s.pagesTotal(), (long) registry.get(DestMetrics.PAGES_TOTAL).gauge().value());
            long touched = (long) registry.get(DestMetrics.PAGES_TOUCHED).gauge().value();
            assertTrue(touched >= s.pagesTouched() && s.pagesTouched() > 0 && touched <= s.pagesTotal(),
                    () -> "pages touched: gauge " + touched + ", summary (until all present) " + s.pagesTouched());
            assertEquals(s.backgroundPages(), (long) registry.get(DestMetrics.PAGES_INSTALLED).tag("channel", "background").counter().count());
            assertEquals(s.pageRequests(), (long) registry.get(DestMetrics.PAGE_REQUESTS).functionCounter().count());
            assertTrue(s.pageRequests() >= s.demandFaults());
            source.completion().orTimeout(30, TimeUnit.SECONDS).join();
        }
    }

    @Test
    void theSummaryAndTheRegistryHoldBucketsBlocktimeAndBytesPerPhaseThatAgree() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        int vcpus = 3;
        try (SourceVm source = SourceVm.start(SourceConfig.builder().guestBytes(8L << 20)
                .maxBackgroundBytesPerSec(4L << 20).build(), new SimpleMeterRegistry())) {
            DestConfig dest = DestConfig.builder("127.0.0.1", source.boundAddress().getPort()).vcpus(vcpus).build();
            MigrationSummary s = DestVm.run(dest, registry);
            assertTrue(s.verified(), s.error());
            source.completion().orTimeout(30, TimeUnit.SECONDS).join();

            // Log2 microsecond buckets: every fault in exactly one, ascending, non-empty.
            long faults = s.faultLatencyNs().count();
            assertTrue(faults > 0, "with a capped stream the vCPUs fault");
            long inBuckets = 0;
            long lastHighUs = 0;
            for (Log2Buckets.Bucket b : s.faultLatencyLog2Us()) {
                assertTrue(b.count() > 0 && b.lowUs() >= lastHighUs && b.lowUs() < b.highUs(), b.toString());
                inBuckets += b.count();
                lastHighUs = b.highUs();
            }
            assertEquals(faults, inBuckets, "bucket counts sum to the fault count: " + s.faultLatencyLog2Us());

            // Blocktime: one entry per vCPU, all-blocked within each, the sum in blockedNsTotal.
            long[] perVcpu = s.blocktime().perVcpuNs();
            assertEquals(vcpus, perVcpu.length);
            long min = Long.MAX_VALUE;
            long sum = 0;
            for (long ns : perVcpu) {
                assertTrue(ns >= 0);
                min = Math.min(min, ns);
                sum += ns;
            }
            assertTrue(s.blocktime().allVcpusNs() >= 0 && s.blocktime().allVcpusNs() <= min,
                    s.blocktime().allVcpusNs() + " ns all-blocked, per vCPU " + java.util.Arrays.toString(perVcpu));
            assertEquals(sum, s.blockedNsTotal());
            assertTrue(sum > 0, "the vCPUs waited for pages");
            assertEquals(s.blocktime().allVcpusNs() / 1e9,
                    registry.get(DestMetrics.BLOCKTIME_ALL).functionCounter().count(), 1e-9);
            assertEquals(perVcpu[2] / 1e9,
                    registry.get(DestMetrics.BLOCKTIME_VCPU).tag("vcpu", "2").functionCounter().count(), 1e-9);
            assertEquals(0, registry.get(DestMetrics.VCPUS_BLOCKED).gauge().value());

            // Bytes per phase.
            MigrationSummary.BytesPerPhase bytes = s.bytesPerPhase();
            assertEquals(0, bytes.precopyBytes(), "no precopy rounds without --precopy-rounds");
            assertEquals(0, bytes.precopyPages());
            assertEquals(s.bytesTransferred(), bytes.downtimeBytes() + bytes.postcopyBytes(), "the phases add up: " + bytes);
            assertEquals(s.backgroundPages() + s.demandPages() + s.duplicatePages() + s.crcFailures(),
                    bytes.downtimePages() + bytes.postcopyPages(), "and so do the copies: " + bytes);
            assertTrue(bytes.postcopyPages() > 0);
            for (String phase : new String[] {"precopy", "downtime", "postcopy"}) {
                long expected = phase.equals("precopy") ? bytes.precopyBytes()
                        : phase.equals("downtime") ? bytes.downtimeBytes() : bytes.postcopyBytes();
                assertEquals(expected, (long) registry.get(DestMetrics.RECEIVED_BYTES).tag("phase", phase).functionCounter().count(),
                        phase);
            }
            assertEquals(s.bytesTransferred(), (long) registry.get(DestMetrics.RECEIVED_PAGE_BYTES).counter().count());

            // The QEMU counts that existed before are in the registry under their names too.
            assertEquals(s.redundantFaults(), (long) registry.get(DestMetrics.REDUNDANT_FAULTS).functionCounter().count());
            assertEquals(s.duplicatePages(), (long) registry.get(DestMetrics.DUPLICATE_PAGES).counter().count());
            assertEquals(s.pageRequests(), (long) registry.get(DestMetrics.PAGE_REQUESTS).functionCounter().count());
            for (int v = 0; v < vcpus; v++) {
                assertEquals(s.exitsPerVcpu()[v], (long) registry.get(DestMetrics.EXITS)
                        .tag("vcpu", Integer.toString(v)).functionCounter().count());
            }
            // The timer's histogram holds the log2 boundaries (Prometheus: _bucket{le=...}).
            assertEquals(Log2Buckets.MAX_EXPONENT + 1,
                    registry.get(DestMetrics.FAULT_LATENCY).timer().takeSnapshot().histogramCounts().length);
        }
    }

    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.CsvSource({
        "kvm-userfault, shared, false, 0",
        "exit-on-missing, shared, false, 0",
        "uffd, shared, false, 0",
        "uffd, per_vcpu, true, 0",
        "uffd+kvm-userfault, shared, false, 0.3",
    })
    void everyFaultModeMigratesAndVerifiesEveryPage(String mode, String scope, boolean partitioned, double internal) {
        SourceConfig src = SourceConfig.builder().guestBytes(8L << 20).maxBackgroundBytesPerSec(4L << 20).build();
        org.postcopysim.dest.fault.FaultOptions faults = new org.postcopysim.dest.fault.FaultOptions(
                org.postcopysim.dest.fetch.FaultMode.parse(mode), 2,
                org.postcopysim.dest.uffd.UffdSet.Scope.valueOf(scope.toUpperCase(java.util.Locale.ROOT)), internal,
                partitioned);
        DestConfig dst = DestConfig.builder("127.0.0.1", 0).vcpus(3).faults(faults).build();
        MigrationSummary s = migrate(src, dst);
        assertNull(s.error(), mode);
        assertTrue(s.verified());
        assertEquals(mode, s.mode());
        assertEquals(s.pagesTotal(), s.pagesVerified());
        assertEquals(0, s.staleReads());
        assertTrue(s.faultLatencyNs().count() > 0, mode + ": faults were resolved");
    }

    /**
     * Memslots around holes, with sizes no multiple of 64: gfn, memslot bit and dense page index
     * differ for every page, so a mix-up anywhere on the path (the request names a page index, the
     * installer writes the page of the gfn, a bit of the wrong numbering is cleared) loses or
     * corrupts pages, which the vCPUs' read checks and the final digest catch.
     */
    @Test
    void aGuestWithGapsBetweenItsMemslotsMigratesAndVerifiesEveryPage() {
        long gapPages = 0x10D; // 269 pages: the bases 0x10D, 0x41A, 0x727 line up with no bitmap word or 2 MiB region
        SourceConfig src = SourceConfig.builder().guestBytes((8L << 20) + 37 * 4096L).memslots(3)
                .memslotGapBytes(gapPages * 4096).maxBackgroundBytesPerSec(4L << 20).build();
        org.postcopysim.memory.GuestLayout layout = src.layout();
        assertEquals(gapPages, layout.slot(0).baseGfn());
        assertEquals(1061, layout.slot(2).pageCount(), "the last memslot's size is no multiple of 64");
        DestConfig dst = DestConfig.builder("127.0.0.1", 0).vcpus(3).seed(13)
                .workload(Workload.parse("uniform", 0.3)).build();
        Both both = migrateBoth(src, dst);
        MigrationSummary s = both.dest();
        assertNull(s.error());
        assertTrue(s.verified());
        assertEquals(3, s.memslots());
        assertEquals(layout.totalPages(), s.pagesTotal());
        assertEquals(s.pagesTotal(), s.pagesVerified());
        assertEquals(0, s.pageMismatches());
        assertEquals(0, s.staleReads());
        assertTrue(s.demandFaults() > 0 && s.guestReads() > 0 && s.guestWrites() > 0, "the vCPUs faulted, read and wrote");
        assertTrue(both.source().verified(), both.source().error());
        assertCountsAddUp(both);
    }

    @Test
    void withoutHugePageRecoveryNothingIsRebuilt() {
        SourceConfig src = SourceConfig.builder().guestBytes(8L << 20).build();
        DestConfig dst = DestConfig.builder("127.0.0.1", 0).hugePageRecovery(false).vcpus(2).build();
        MigrationSummary s = migrate(src, dst);
        assertTrue(s.verified(), s.error());
        assertEquals(0, s.hugeMappingsRecovered());
    }

    @Test
    void overlappedVcpusOnAFewHotPagesProduceRedundantFaults() {
        // Eight vCPUs on a Zipf workload over a slow stream: several fault on the same hot page at once.
        SourceConfig src = SourceConfig.builder().guestBytes(8L << 20).maxBackgroundBytesPerSec(1L << 20).build();
        DestConfig dst = DestConfig.builder("127.0.0.1", 0).vcpus(8)
                .workload(Workload.parse("zipf:1.2", 0.1)).accessesPerSecPerVcpu(0).build();
        MigrationSummary s = migrate(src, dst);
        assertTrue(s.verified(), s.error());
        assertTrue(s.redundantFaults() > 0, "redundant faults: " + s.redundantFaults());
    }
}
