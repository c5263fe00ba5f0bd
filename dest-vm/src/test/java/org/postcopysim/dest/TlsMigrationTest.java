package org.postcopysim.dest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.postcopysim.protocol.Reliability;
import org.postcopysim.source.SourceConfig;
import org.postcopysim.source.SourceResult;
import org.postcopysim.source.SourceVm;

/**
 * Mutual TLS on both connections, with a CA and certificates made by the test: a migration
 * verifies end to end; a destination whose certificate another CA signed is refused, and the
 * source then serves a legitimate one.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class TlsMigrationTest {
    static final String TOKEN = "tls-test-token";
    static final long GUEST_BYTES = 8L << 20;

    @TempDir
    static Path dir;
    static TestPki pki;
    static Reliability.TlsFiles sourceFiles;
    static Reliability.TlsFiles destFiles;

    @BeforeAll
    static void issueCertificates() throws Exception {
        pki = TestPki.create("migration", dir);
        sourceFiles = pki.issue("source");
        destFiles = pki.issue("dest");
    }

    static SourceVm startSource(SimpleMeterRegistry registry) {
        SourceConfig c = SourceConfig.builder().guestBytes(GUEST_BYTES).seed(21).token(TOKEN)
                .maxBackgroundBytesPerSec(8L << 20).build();
        return SourceVm.start(c.toBuilder().reliability(c.reliability().withTls(sourceFiles)).build(), registry);
    }

    static DestConfig dest(SourceVm source, Reliability.TlsFiles files) {
        return DestConfig.builder("127.0.0.1", source.boundAddress().getPort()).vcpus(2).seed(3)
                .token(TOKEN).reliability(Reliability.DEFAULT.withReconnect(false).withTls(files)).build();
    }

    @Test
    void aMigrationOverMutualTlsVerifiesEveryPage() {
        try (SourceVm source = startSource(new SimpleMeterRegistry())) {
            MigrationSummary s = DestVm.run(dest(source, destFiles), new SimpleMeterRegistry());
            assertNull(s.error());
            assertTrue(s.verified());
            assertEquals(GUEST_BYTES / 4096, s.pagesVerified());
            assertEquals(s.pagesTotal(), s.backgroundPages() + s.demandPages());
            SourceResult r = source.completion().orTimeout(30, TimeUnit.SECONDS).join();
            assertTrue(r.verified(), r.error());
        }
    }

    @Test
    void fourStreamsOverMutualTlsWithTheTokenVerifyEveryPage() {
        try (SourceVm source = startSource(new SimpleMeterRegistry())) {
            MigrationSummary s = DestVm.run(dest(source, destFiles).toBuilder().streams(4).build(), new SimpleMeterRegistry());
            assertTrue(s.verified(), s.error());
            assertEquals(GUEST_BYTES / 4096, s.pagesVerified());
            for (int i = 0; i < 4; i++) assertTrue(s.streamPages()[i] > 0, "stream " + i + " carried pages over TLS");
            SourceResult r = source.completion().orTimeout(30, TimeUnit.SECONDS).join();
            assertTrue(r.verified(), r.error());
        }
    }

    @Test
    void aDestinationCertifiedByAnotherCaIsRefusedAndTheSourceThenMigratesALegitimateOne() throws Exception {
        TestPki rogue = TestPki.create("rogue", dir);
        Reliability.TlsFiles rogueLeaf = rogue.issue("dest");
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (SourceVm source = startSource(registry)) {
            // Trusts the right CA, so it accepts the source, but presents a certificate the source does not trust.
            MigrationSummary refused = DestVm.run(dest(source,
                    new Reliability.TlsFiles(rogueLeaf.certificate(), rogueLeaf.privateKey(), pki.caFile())),
                    new SimpleMeterRegistry());
            assertFalse(refused.verified());
            assertTrue(refused.error().contains("TLS") || refused.error().contains("certificate"), refused.error());
            assertEquals(0, refused.pagesTotal(), "no handshake, no guest: nothing installed");
            assertTrue(registry.get("postcopy.source.channel.errors").counter().count() >= 1, "the source counted the refusal");

            // Presents the right certificate but trusts only the rogue CA: it refuses the source.
            MigrationSummary distrustful = DestVm.run(dest(source, new Reliability.TlsFiles(destFiles.certificate(),
                    destFiles.privateKey(), rogue.caFile())), new SimpleMeterRegistry());
            assertFalse(distrustful.verified());
            assertTrue(distrustful.error().contains("TLS handshake with the source failed"), distrustful.error());
            assertEquals(0, distrustful.pagesTotal());

            assertFalse(source.completion().isDone(), "no migration started");
            MigrationSummary good = DestVm.run(dest(source, destFiles), new SimpleMeterRegistry());
            assertTrue(good.verified(), good.error());
            assertTrue(source.completion().orTimeout(30, TimeUnit.SECONDS).join().verified());
        }
    }
}
