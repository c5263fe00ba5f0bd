package org.postcopysim.dest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.postcopysim.dest.fault.FaultOptions;
import org.postcopysim.dest.fetch.FaultMode;
import org.postcopysim.dest.workload.HostEventSpec;
import org.postcopysim.guest.Workload;
import org.postcopysim.protocol.FrameDescriptor;
import org.postcopysim.protocol.Reliability;

class DestConfigTest {
    @Test
    void theBuilderStartsFromTheDocumentedDefaults() {
        DestConfig c = DestConfig.builder("h", 7).build();
        assertEquals("h", c.host());
        assertEquals(7, c.port());
        assertEquals(DestConfig.DEFAULT_VCPUS, c.vcpus());
        assertEquals(1, c.seed());
        assertEquals(true, c.hugePageRecovery());
        assertEquals(DestConfig.DEFAULT_ACCESSES_PER_SEC_PER_VCPU, c.accessesPerSecPerVcpu());
        assertEquals(DestConfig.DEFAULT_VCPU_SPIN_NS, c.vcpuSpinNs());
        assertEquals(DestConfig.DEFAULT_MAX_PAGE_RETRIES, c.maxPageRetries());
        assertEquals(FrameDescriptor.DEFAULT_MAX_FRAME_BYTES, c.maxFrameBytes());
        assertNull(c.token());
        assertEquals(Duration.ofSeconds(30), c.connectTimeout());
        assertEquals(FaultOptions.DEFAULT, c.faults());
        assertEquals(Reliability.DEFAULT, c.reliability());
        assertEquals(MmuSetup.NONE, c.mmu());
        assertEquals(c, DestConfig.defaults("h", 7));
    }

    @Test
    void toBuilderKeepsEveryComponent() {
        DestConfig c = DestConfig.builder("::1", 9).vcpus(3).workload(Workload.parse("sequential", 0.5)).seed(42)
                .hugePageRecovery(false).accessesPerSecPerVcpu(5).vcpuSpinNs(6).maxPageRetries(7)
                .maxFrameBytes(2 << 20).token("t").connectTimeout(Duration.ofSeconds(8))
                .faults(FaultOptions.DEFAULT.withMode(FaultMode.UFFD)).reliability(Reliability.DEFAULT.withReconnect(false))
                .mmu(MmuSetup.NONE.withHostEvents(HostEventSpec.parse("reclaim:3000")))
                .streamPriority(org.postcopysim.protocol.sched.StreamPriority.of(4)).build();
        assertEquals(c, c.toBuilder().build());
        assertEquals(4, c.toBuilder().build().streamPriority().streamNice());
    }

    @Test
    void buildRefusesWhatTheConstructorRefusesInTheSameWords() {
        DestConfig.Builder b = DestConfig.builder("h", 1);
        assertEquals("access rate must not be negative",
                assertThrows(IllegalArgumentException.class, () -> b.accessesPerSecPerVcpu(-1).build()).getMessage());
        b.accessesPerSecPerVcpu(0);
        assertEquals("spin time must not be negative",
                assertThrows(IllegalArgumentException.class, () -> b.vcpuSpinNs(-1).build()).getMessage());
        b.vcpuSpinNs(0);
        assertEquals("fault options are required",
                assertThrows(IllegalArgumentException.class, () -> b.faults(null).build()).getMessage());
    }
}
