package org.postcopysim.sim.cost;

import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

/**
 * Measures on this machine the costs the cost model marks {@link Cost.Origin#MEASURED}: a 4 KiB
 * page copied between two off-heap buffers (as the installer copies a page into guest memory)
 * and the CRC32C of a 4 KiB page (as it verifies one). Each is timed over many pages spread over
 * a buffer larger than the caches, after a warm-up; the fastest of several rounds is reported
 * (the least disturbed by other work on the machine: what the step itself costs).
 * {@code postcopy-sim simulate --measure-costs} prints them as cost-file lines.
 */
public final class HostCostProbe {
    static final int PAGE = 4096;
    static final int PAGES = 16_384; // 64 MiB: beyond the caches, as guest memory is
    static final int ROUNDS = 15;

    private HostCostProbe() {}

    /** The measured values (ns per 4 KiB page), by cost. */
    public record Measured(long copy4kNs, long crc32c4kNs) {}

    public static Measured measure() {
        ByteBuffer src = ByteBuffer.allocateDirect(PAGES * PAGE);
        ByteBuffer dst = ByteBuffer.allocateDirect(PAGES * PAGE);
        for (int i = 0; i < src.capacity(); i += 8) src.putLong(i, i * 0x9E3779B97F4A7C15L);
        CRC32C crc = new CRC32C();
        long sink = 0;
        for (int w = 0; w < 2; w++) {
            copyAll(src, dst);
            sink += crcAll(src, crc);
        }
        long[] copy = new long[ROUNDS];
        long[] crcs = new long[ROUNDS];
        for (int r = 0; r < ROUNDS; r++) {
            long t0 = System.nanoTime();
            copyAll(src, dst);
            long t1 = System.nanoTime();
            sink += crcAll(src, crc);
            long t2 = System.nanoTime();
            copy[r] = (t1 - t0) / PAGES;
            crcs[r] = (t2 - t1) / PAGES;
        }
        if (sink == 42) System.out.print(""); // keep the CRCs alive
        return new Measured(min(copy), min(crcs));
    }

    private static void copyAll(ByteBuffer src, ByteBuffer dst) {
        for (int p = 0; p < PAGES; p++) {
            ByteBuffer s = src.duplicate().position(p * PAGE).limit(p * PAGE + PAGE);
            dst.duplicate().position(p * PAGE).put(s);
        }
    }

    private static long crcAll(ByteBuffer src, CRC32C crc) {
        long sum = 0;
        for (int p = 0; p < PAGES; p++) {
            crc.reset();
            crc.update(src.duplicate().position(p * PAGE).limit(p * PAGE + PAGE));
            sum += crc.getValue();
        }
        return sum;
    }

    private static long min(long[] v) {
        long m = Long.MAX_VALUE;
        for (long x : v) m = Math.min(m, x);
        return m;
    }
}
