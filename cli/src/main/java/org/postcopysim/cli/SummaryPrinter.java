package org.postcopysim.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import org.postcopysim.dest.MigrationSummary;

/** Renders a {@link MigrationSummary} for people (stdout) and machines (JSON file). */
final class SummaryPrinter {
    static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private SummaryPrinter() {}

    static void print(PrintWriter out, MigrationSummary s) {
        if (s.verified()) {
            out.printf(Locale.ROOT, "migration verified: %d/%d pages match the source, %d mismatches%n",
                    s.pagesVerified(), s.pagesTotal(), s.pageMismatches());
        } else {
            out.printf(Locale.ROOT, "migration FAILED: %s%n", s.error());
            if (s.pagesTotal() > 0) {
                out.printf(Locale.ROOT, "  verified %d/%d pages, %d mismatches%n", s.pagesVerified(), s.pagesTotal(),
                        s.pageMismatches());
            }
        }
        out.printf(Locale.ROOT, "  guest     %s in %d memslots, %d vCPUs, workload %s, mode %s, seed %d, transport %s%n",
                ByteSize.format(s.guestBytes()), s.memslots(), s.vcpus(), s.workload(), s.mode(), s.seed(), s.transport());
        out.printf(Locale.ROOT, "  time      %d ms from resume until every page was present (setup %d ms); %s of pages received%n",
                s.migrationTimeMs(), s.setupMs(), ByteSize.format(s.bytesTransferred()));
        out.printf(Locale.ROOT, "  pages     %d background, %d demand, %d duplicate copies dropped (EEXIST), %d CRC32C failures%n",
                s.backgroundPages(), s.demandPages(), s.duplicatePages(), s.crcFailures());
        out.printf(Locale.ROOT, "  faults    %d exits: %d demand requests, %d redundant (joined a request in flight)%n",
                s.exits(), s.demandFaults(), s.redundantFaults());
        MigrationSummary.Latency l = s.faultLatencyNs();
        out.printf(Locale.ROOT, "  latency   p50 %s  p90 %s  p99 %s  p99.9 %s  max %s  over %d faults%n",
                duration(l.p50()), duration(l.p90()), duration(l.p99()), duration(l.p999()), duration(l.max()), l.count());
        out.printf(Locale.ROOT, "  guest     %d reads checked, %d writes, %d stale reads%n",
                s.guestReads(), s.guestWrites(), s.staleReads());
        out.printf(Locale.ROOT, "  stage-2   %d huge mappings rebuilt when KVM_MEM_USERFAULT was cleared%n",
                s.hugeMappingsRecovered());
        out.flush();
    }

    /** "950 ns", "95 us", "1.2 ms", "3.40 s". */
    static String duration(long ns) {
        if (ns < 1_000) return ns + " ns";
        if (ns < 1_000_000) return String.format(Locale.ROOT, "%.0f us", ns / 1e3);
        if (ns < 1_000_000_000) return String.format(Locale.ROOT, "%.1f ms", ns / 1e6);
        return String.format(Locale.ROOT, "%.2f s", ns / 1e9);
    }

    static void writeJson(Path file, Object value) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) Files.createDirectories(parent);
        JSON.writeValue(file.toFile(), value);
    }
}
