package org.postcopysim.dest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.postcopysim.guest.Workload;
import org.postcopysim.source.SourceConfig;
import org.postcopysim.source.SourceResult;
import org.postcopysim.source.SourceVm;
import org.postcopysim.source.policy.PrecopyPolicy;

@Timeout(value = 180, unit = TimeUnit.SECONDS)
class PrecopyMigrationTest {
    @Test
    void smoke() {
        SourceConfig src = SourceConfig.builder().guestBytes(16L << 20).maxBackgroundBytesPerSec(32L << 20)
                .precopy(PrecopyPolicy.rounds(3)).build();
        DestConfig dst = DestConfig.builder("127.0.0.1", 0).vcpus(2).accessesPerSecPerVcpu(50_000)
                .workload(Workload.parse("hotset", 0.5)).seed(5).build();
        try (SourceVm source = SourceVm.start(src, new SimpleMeterRegistry())) {
            MigrationSummary s = DestVm.run(dst.toBuilder().port(source.boundAddress().getPort()).build(), new SimpleMeterRegistry());
            SourceResult sr = source.completion().orTimeout(30, TimeUnit.SECONDS).join();
            System.out.println(s);
            System.out.println(sr);
            assertNull(s.error());
            assertTrue(s.verified());
        }
    }
}
