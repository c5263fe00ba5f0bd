package org.postcopysim.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import org.postcopysim.dest.MigrationSummary;
import org.postcopysim.dest.metrics.Log2Buckets;
import org.postcopysim.text.Plural;

/** Renders a {@link MigrationSummary} for people (stdout) and machines (JSON file). */
final class SummaryPrinter {
    static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private SummaryPrinter() {}

    static void print(PrintWriter out, MigrationSummary s) {
        if (!s.verified() && s.pagesTotal() == 0) {
            // The source never described the guest (no connection, refused, no handshake): every
            // count would be zero, so the error is the whole story. --json still has every field.
            out.printf(Locale.ROOT, "migration FAILED: %s%n", s.error());
            out.flush();
            return;
        }
        if (s.verified()) {
            out.printf(Locale.ROOT, "migration verified: %d/%d pages match the source, %s%n",
                    s.pagesVerified(), s.pagesTotal(), Plural.of(s.pageMismatches(), "mismatch", "mismatches"));
        } else {
            out.printf(Locale.ROOT, "migration FAILED: %s%n", s.error());
            out.printf(Locale.ROOT, "  verified %d/%d pages, %s%n", s.pagesVerified(), s.pagesTotal(),
                    Plural.of(s.pageMismatches(), "mismatch", "mismatches"));
        }
        out.printf(Locale.ROOT, "  guest     %s in %s, %s, workload %s, mode %s%s, seed %d, transport %s%n",
                ByteSize.format(s.guestBytes()), Plural.of(s.memslots(), "memslot"), Plural.of(s.vcpus(), "vCPU"),
                s.workload(), s.mode(), s.backend() == null || s.backend().equals("model") ? "" : ", backend " + s.backend(),
                s.seed(), s.transport());
        out.printf(Locale.ROOT, "  time      %d ms from resume until %s (setup %d ms); %s of pages received%n",
                s.migrationTimeMs(), s.pagesMissing() == 0 ? "every page was present"
                        : "the migration stopped with " + Plural.of(s.pagesMissing(), "page") + " missing",
                s.setupMs(), ByteSize.format(s.bytesTransferred()));
        out.printf(Locale.ROOT, "  pages     %d background, %d demand, %s dropped (EEXIST), %s%n",
                s.backgroundPages(), s.demandPages(), Plural.of(s.duplicatePages(), "duplicate copy", "duplicate copies"),
                Plural.of(s.crcFailures(), "CRC32C failure"));
        long[] streams = s.streamPages();
        if (streams != null && streams.length > 1) {
            StringBuilder per = new StringBuilder();
            for (long p : streams) per.append(per.length() == 0 ? "" : ", ").append(p);
            out.printf(Locale.ROOT, "  streams   %d BACKGROUND streams carried %s pages%n", streams.length, per);
        }
        out.printf(Locale.ROOT, "  faults    %s: %s, %d redundant (joined a request in flight)%n",
                Plural.of(s.exits(), "exit"), Plural.of(s.demandFaults(), "demand request"), s.redundantFaults());
        if (s.networkBoundFaults() != null) {
            out.printf(Locale.ROOT, "  order     background %s: %s, %.1f%% of the %s the guest touched%n",
                    s.backgroundOrder(), Plural.of(s.networkBoundFaults(), "network-bound fault"),
                    100 * s.networkBoundFraction(), Plural.of(s.pagesTouched(), "page"));
        }
        if (s.populates() > 0 || s.mode().equals("exit-on-missing")) {
            out.printf(Locale.ROOT, "  populate  %s found %s page installed by another party (no copy)%n",
                    Plural.of(s.populates(), "exit"), s.populates() == 1 ? "its" : "their");
        }
        MigrationSummary.UffdStats u = s.uffd();
        if (u != null && u.waitersVisitedPerWake() == null) { // the kernel's userfaultfd: no wake walk to count
            out.printf(Locale.ROOT, "  uffd      %s read from the kernel's userfaultfd (threads asleep in its wait queue); "
                            + "%s (UFFDIO_WAKE); %s; %d EEXIST%n", Plural.of(u.reads(), "fault"), Plural.of(u.wakes(), "wake"),
                    Plural.of(u.pollerWakeups(), "poll wake-up"), u.eexist());
        } else if (u != null && (u.faultsSlept() > 0 || u.wakes() > 0)) {
            out.printf(Locale.ROOT, "  uffd      %s slept on the wait queue; %s visiting %.2f waiters on average "
                            + "(max %d); %s; %d EEXIST%n", Plural.of(u.faultsSlept(), "fault"), Plural.of(u.wakes(), "wake"),
                    u.waitersVisitedPerWake().mean(), u.waitersVisitedPerWake().max(), Plural.of(u.reads(), "read"), u.eexist());
        }
        MigrationSummary.Latency l = s.faultLatencyNs();
        out.printf(Locale.ROOT, "  latency   p50 %s  p90 %s  p99 %s  p99.9 %s  max %s  over %s%n",
                duration(l.p50()), duration(l.p90()), duration(l.p99()), duration(l.p999()), duration(l.max()),
                Plural.of(l.count(), "fault"));
        if (!s.faultLatencyLog2Us().isEmpty()) out.printf(Locale.ROOT, "  buckets   %s%n", buckets(s));
        MigrationSummary.Blocktime b = s.blocktime();
        int worst = 0;
        for (int v = 1; v < b.perVcpuNs().length; v++) if (b.perVcpuNs()[v] > b.perVcpuNs()[worst]) worst = v;
        out.printf(Locale.ROOT, "  blocktime %s with %s blocked at once; per vCPU up to %s (vcpu-%d)%n",
                duration(b.allVcpusNs()), allVcpus(b.perVcpuNs().length),
                duration(b.perVcpuNs().length == 0 ? 0 : b.perVcpuNs()[worst]), worst);
        MigrationSummary.BytesPerPhase p = s.bytesPerPhase();
        out.printf(Locale.ROOT, "  phases    precopy %s (%s), downtime %s (%s), postcopy %s (%s); downtime %d ms%n",
                Plural.of(p.precopyPages(), "page"), ByteSize.format(p.precopyBytes()),
                Plural.of(p.downtimePages(), "page"), ByteSize.format(p.downtimeBytes()),
                Plural.of(p.postcopyPages(), "page"), ByteSize.format(p.postcopyBytes()), s.downtimeMs());
        if (s.precopyRounds() > 0) out.printf(Locale.ROOT, "  precopy   %s%n", precopy(s));
        out.printf(Locale.ROOT, "  guest     %s checked, %s, %s%n", Plural.of(s.guestReads(), "read"),
                Plural.of(s.guestWrites(), "write"), Plural.of(s.staleReads(), "stale read"));
        out.printf(Locale.ROOT, "  stage-2   %s rebuilt when KVM_MEM_USERFAULT was cleared%n",
                Plural.of(s.hugeMappingsRecovered(), "huge mapping"));
        if (s.recoveries() > 0 || s.pausedMs() > 0 || s.stalls() > 0) {
            out.printf(Locale.ROOT, "  recovery  %d link %s, %s, %d vCPU %s reported by the watchdog%n",
                    s.recoveries(), s.recoveries() == 1 ? "recovery" : "recoveries",
                    s.pausedMs() == 0 ? "never paused" : duration(s.pausedMs() * 1_000_000) + " paused",
                    s.stalls(), s.stalls() == 1 ? "stall" : "stalls");
        }
        if (s.pagesMissing() > 0 && !s.missingGfnRanges().isEmpty()) {
            out.printf(Locale.ROOT, "  missing   %s in %s%s: %s%n", Plural.of(s.pagesMissing(), "page"),
                    s.missingGfnRangesCut() ? "more than " : "", Plural.of(s.missingGfnRanges().size(), "gfn range"),
                    MigrationSummary.GfnRange.format(s.missingGfnRanges(), 16)
                            + (s.missingGfnRanges().size() > 16 ? " (every range in --json)" : ""));
        }
        if (s.chaos() != null) out.printf(Locale.ROOT, "  chaos     %s%n", s.chaos());
        MigrationSummary.Mmu m = s.mmu();
        if (m != null && (m.hostEventSpec() != null || m.privatePages() > 0)) {
            out.printf(Locale.ROOT, "  host      %s%s%s%n", m.hostEventSpec() == null ? "no host events" : "host events " + m.hostEventSpec(),
                    m.privatePages() > 0 ? ", " + Plural.of(m.privatePages(), "private page") + " in guest_memfd" : "",
                    m.notifyUpgrades() ? ", upgrades notify" : "");
            out.printf(Locale.ROOT, "  mmu       %s: %s, %s zapped; %s, %s, %s; pfn cache %s, %s%n",
                    Plural.of(m.hostEvents(), "host event"), Plural.of(m.invalidations(), "invalidation"),
                    Plural.of(m.stage2Zapped(), "stage-2 entry", "stage-2 entries"),
                    Plural.of(m.localRefaults(), "local refault"), Plural.of(m.retriedFaults(), "retried fault"),
                    Plural.of(m.lazyUpgrades(), "lazy upgrade"), Plural.of(m.pfnCacheInvalidations(), "invalidation"),
                    Plural.of(m.pfnCacheRefreshes(), "refresh", "refreshes"));
            if (m.notifyUpgrades()) {
                out.printf(Locale.ROOT, "  upgrades  notifying cost %s zapped and %s%n",
                        Plural.of(m.upgradeZaps(), "entry", "entries"), Plural.of(m.upgradeRefaults(), "refault"));
            }
            out.printf(Locale.ROOT, "  arrived   %s requested again, %s, %s given up in conversions, %s%n",
                    Plural.of(m.refetchedArrivedPages(), "page"),
                    Plural.of(m.reclaimedPopulates(), "reclaimed page") + " populated locally",
                    Plural.of(m.pagesGivenUp(), "page"),
                    m.violations().isEmpty() ? "every MMU invariant held" : Plural.of(m.violations().size(), "MMU invariant violation"));
        }
        out.flush();
    }

    /** "3 rounds: 4096 pages (dirtied 1333, 9.2 MiB/s), ...; 816 pages discarded, 43565 guest writes on the source". */
    static String precopy(MigrationSummary s) {
        StringBuilder b = new StringBuilder(Plural.of(s.precopyRounds(), "round")).append(':');
        for (MigrationSummary.PrecopyRound r : s.precopyRoundStats()) {
            b.append(r.round() == 1 ? " " : ", ").append(Plural.of(r.pagesSent(), "page")).append(" in ").append(r.durationMs())
                    .append(" ms (dirtied ").append(r.dirtiedPages()).append(", ").append(ByteSize.format(r.dirtyBytesPerSec()))
                    .append("/s)");
        }
        return b.append("; ").append(Plural.of(s.discardedPages(), "page")).append(" discarded, ")
                .append(Plural.of(s.sourceGuestWrites(), "guest write")).append(" on the source").toString();
    }

    /** "the only vCPU" for one, "all 4 vCPUs" for more: who was blocked when blocktime counts. */
    static String allVcpus(int vcpus) {
        return vcpus == 1 ? "the only vCPU" : "all " + Plural.of(vcpus, "vCPU");
    }

    /** The non-empty log2 latency buckets: "[8,16) us: 120  [16,32) us: 40  [16777216,inf) us: 1". */
    static String buckets(MigrationSummary s) {
        StringBuilder b = new StringBuilder();
        for (Log2Buckets.Bucket k : s.faultLatencyLog2Us()) {
            if (b.length() > 0) b.append("  ");
            b.append('[').append(k.lowUs()).append(',')
                    .append(k.highUs() == Log2Buckets.UNBOUNDED_US ? "inf" : Long.toString(k.highUs()))
                    .append(") us: ").append(k.count());
        }
        return b.toString();
    }

    /** "950 ns", "95 us", "1.2 ms", "3.40 s". */
    static String duration(long ns) {
        if (ns < 1_000) return ns + " ns";
        if (ns < 1_000_000) return String.format(Locale.ROOT, "%.0f us", ns / 1e3);
        if (ns < 1_000_000_000) return String.format(Locale.ROOT, "%.1f ms", ns / 1e6);
        return String.format(Locale.ROOT, "%.2f s", ns / 1e9);
    }

    /** Writes {@code value} to {@code file}; a failure (the disk filled up since the check) is a one-line {@link CommandFailure}. */
    static void writeJson(Path file, Object value) {
        try {
            Path parent = file.toAbsolutePath().getParent();
            if (parent != null) Files.createDirectories(parent);
            JSON.writeValue(file.toFile(), value);
        } catch (IOException e) {
            throw new CommandFailure("cannot write " + file + ": " + IoReasons.of(e), e);
        }
    }
}
