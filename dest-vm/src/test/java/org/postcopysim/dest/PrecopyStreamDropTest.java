package org.postcopysim.dest;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.postcopysim.protocol.Reliability;
import org.postcopysim.protocol.chaos.ChaosState;
import org.postcopysim.source.SourceConfig;
import org.postcopysim.source.SourceResult;
import org.postcopysim.source.SourceVm;
import org.postcopysim.source.policy.PrecopyPolicy;

/**
 * A link dropped during precopy fails the migration on both sides, with recovery enabled: postcopy
 * recovery resumes postcopy only (as QEMU's does), and a precopy round cannot be resumed. The drop
 * comes when every page of the first round has passed ({@code disconnect@100%}: every connection,
 * DEMAND and both streams), so every page is claimed and none is unsent while three rounds are
 * still to come. The broken variant, a source that pauses for recovery during precopy as it does
 * in postcopy, never completes: this test fails on it (checked by hand on 2026-12-03). A source
 * that ignored only the streams' drop would still fail here on the DEMAND connection's; that rule
 * is checked on its own, a stream dropped alone, by the source's {@code StreamDropRuleTest}.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class PrecopyStreamDropTest {
    @Test
    void aDropAfterTheFirstRoundFailsTheMigrationInsteadOfHangingIt() {
        Reliability chaos = Reliability.DEFAULT.withChaos("disconnect@100%", ChaosState.seedOf(9));
        SourceConfig src = PrecopyMigrationTest.source(PrecopyPolicy.rounds(4)).toBuilder().reliability(chaos).build();
        try (SourceVm source = SourceVm.start(src, new SimpleMeterRegistry())) {
            DestConfig dst = PrecopyMigrationTest.dest(0.5).toBuilder().streams(2).port(source.boundAddress().getPort()).build();
            MigrationSummary s = DestVm.run(dst, new SimpleMeterRegistry());
            SourceResult sr = source.completion().orTimeout(30, TimeUnit.SECONDS).join();
            assertTrue(source.chaos().hasDisconnected(), source.chaos().describe());
            assertFalse(sr.verified());
            assertTrue(sr.error().contains("during precopy (recovery resumes postcopy only)"), sr.error());
            assertFalse(s.verified(), "the destination does not claim a migration the source failed");
        }
    }
}
