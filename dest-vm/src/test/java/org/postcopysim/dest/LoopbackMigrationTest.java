package org.postcopysim.dest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.postcopysim.dest.workload.Workload;
import org.postcopysim.source.SourceConfig;
import org.postcopysim.source.SourceResult;
import org.postcopysim.source.SourceVm;

/** A whole migration inside one JVM over real loopback sockets: every page must verify. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class LoopbackMigrationTest {

    static MigrationSummary migrate(SourceConfig sourceConfig, DestConfig destTemplate) {
        try (SourceVm source = SourceVm.start(sourceConfig, new SimpleMeterRegistry())) {
            DestConfig dest = new DestConfig("127.0.0.1", source.boundAddress().getPort(), destTemplate.vcpus(),
                    destTemplate.workload(), destTemplate.seed(), destTemplate.hugePageRecovery(),
                    destTemplate.accessesPerSecPerVcpu(), destTemplate.vcpuSpinNs(), destTemplate.maxPageRetries(),
                    destTemplate.maxFrameBytes(), destTemplate.token(), destTemplate.connectTimeout());
            MigrationSummary summary = DestVm.run(dest, new SimpleMeterRegistry());
            SourceResult sr = source.completion().orTimeout(30, TimeUnit.SECONDS).join();
            assertEquals(summary.verified(), sr.verified(), "both sides agree on the verdict");
            return summary;
        }
    }

    @Test
    void everyPageIsVerifiedAndTheCountsAddUp() {
        SourceConfig src = SourceConfig.defaults().withGuestBytes(32L << 20).withMaxBackgroundBytesPerSec(16L << 20);
        DestConfig dst = DestConfig.defaults("127.0.0.1", 0).withSeed(11);
        MigrationSummary s = migrate(src, dst);
        assertNull(s.error());
        assertTrue(s.verified());
        assertEquals(8192, s.pagesTotal());
        assertEquals(8192, s.pagesVerified());
        assertEquals(0, s.pageMismatches());
        assertEquals(0, s.staleReads());
        assertEquals(s.pagesTotal(), s.backgroundPages() + s.demandPages(), "each page installed exactly once");
        assertTrue(s.demandFaults() > 0, "with a capped stream the vCPUs fault on missing pages");
        assertEquals(s.exits(), s.demandFaults() + s.redundantFaults() + resolvedBeforeRequest(s));
        assertEquals(s.exits(), s.faultLatencyNs().count() + resolvedBeforeRequest(s));
        assertTrue(s.faultLatencyNs().p50() > 0 && s.faultLatencyNs().p50() <= s.faultLatencyNs().max());
        assertTrue(s.guestWrites() > 0 && s.guestReads() > 0);
        assertTrue(s.hugeMappingsRecovered() > 0, "clearing KVM_MEM_USERFAULT rebuilt 2 MiB mappings");
        assertTrue(s.bytesTransferred() >= s.pagesTotal() * 4096L);
    }

    @Test
    void theRegistryHoldsTheMetricsTheSummaryReports() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (SourceVm source = SourceVm.start(SourceConfig.defaults().withGuestBytes(8L << 20)
                .withMaxBackgroundBytesPerSec(4L << 20), new SimpleMeterRegistry())) {
            DestConfig dest = DestConfig.defaults("127.0.0.1", source.boundAddress().getPort()).withVcpus(2);
            MigrationSummary s = DestVm.run(dest, registry);
            assertTrue(s.verified(), s.error());
            assertEquals(s.faultLatencyNs().count(), registry.get(DestMetrics.FAULT_LATENCY).timer().count());
            assertEquals(s.demandFaults(), (long) registry.get(DestMetrics.DEMAND_FAULTS).functionCounter().count());
            assertEquals(s.exits(), (long) registry.get(DestMetrics.EXITS).functionCounter().count());
            assertEquals(s.exitsPerVcpu()[1],
                    (long) registry.get(DestMetrics.EXITS + ".per_vcpu").tag("vcpu", "1").functionCounter().count());
            assertEquals(s.pagesTotal(), (long) registry.get(DestMetrics.PAGES_PRESENT).gauge().value());
            assertEquals(s.pagesTotal(), (long) registry.get(DestMetrics.PAGES_TOTAL).gauge().value());
            assertEquals(s.backgroundPages(), (long) registry.get("postcopy.pages.background").counter().count());
            assertEquals(s.pageRequests(), (long) registry.get(DestMetrics.PAGE_REQUESTS).functionCounter().count());
            assertTrue(s.pageRequests() >= s.demandFaults());
            source.completion().orTimeout(30, TimeUnit.SECONDS).join();
        }
    }

    private static long resolvedBeforeRequest(MigrationSummary s) {
        return s.exits() - s.demandFaults() - s.redundantFaults();
    }

    @Test
    void withoutHugePageRecoveryNothingIsRebuilt() {
        SourceConfig src = SourceConfig.defaults().withGuestBytes(8L << 20);
        DestConfig dst = DestConfig.defaults("127.0.0.1", 0).withHugePageRecovery(false).withVcpus(2);
        MigrationSummary s = migrate(src, dst);
        assertTrue(s.verified(), s.error());
        assertEquals(0, s.hugeMappingsRecovered());
    }

    @Test
    void overlappedVcpusOnAFewHotPagesProduceRedundantFaults() {
        // Eight vCPUs on a Zipf workload over a slow stream: several fault on the same hot page at once.
        SourceConfig src = SourceConfig.defaults().withGuestBytes(8L << 20).withMaxBackgroundBytesPerSec(1L << 20);
        DestConfig dst = DestConfig.defaults("127.0.0.1", 0).withVcpus(8)
                .withWorkload(Workload.parse("zipf:1.2", 0.1)).withAccessesPerSecPerVcpu(0);
        MigrationSummary s = migrate(src, dst);
        assertTrue(s.verified(), s.error());
        assertTrue(s.redundantFaults() > 0, "redundant faults: " + s.redundantFaults());
    }
}
