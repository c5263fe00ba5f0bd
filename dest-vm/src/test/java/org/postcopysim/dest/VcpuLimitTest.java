package org.postcopysim.dest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import org.postcopysim.dest.bench.FaultBenchConfig;
import org.postcopysim.dest.fault.FaultOptions;
import org.postcopysim.protocol.VcpuCount;

/** A migration and the fault benchmark take the same vCPU counts, refused with the same words. */
class VcpuLimitTest {
    private static FaultBenchConfig bench(int vcpus) {
        return new FaultBenchConfig(FaultOptions.DEFAULT, vcpus, FaultBenchConfig.DEFAULT_MEM_PER_VCPU_BYTES, 0, 0, 1);
    }

    @Test
    void bothTakeOneToTheSharedMaximumAndRefuseTheRestAlike() {
        DestConfig d = DestConfig.defaults("127.0.0.1", 1);
        assertEquals(VcpuCount.MAX, d.toBuilder().vcpus(VcpuCount.MAX).build().vcpus());
        assertEquals(VcpuCount.MAX, bench(VcpuCount.MAX).vcpus());
        for (int bad : new int[] {0, -1, VcpuCount.MAX + 1}) {
            String dest = assertThrows(IllegalArgumentException.class, () -> d.toBuilder().vcpus(bad).build()).getMessage();
            String fb = assertThrows(IllegalArgumentException.class, () -> bench(bad)).getMessage();
            assertEquals(dest, fb);
            assertEquals("the vCPU count must be within 1.." + VcpuCount.MAX + ", got " + bad, dest);
        }
    }
}
