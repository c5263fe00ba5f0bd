package org.postcopysim.kernel;

/**
 * Runs work with the calling thread pinned to one CPU ({@code sched_setaffinity}), so that the
 * threads the work starts, which inherit the mask, all share that CPU; the thread's own mask is
 * restored afterwards. Calibration uses it to measure a wake-up onto a busy CPU (the waker's own)
 * apart from one onto an idle CPU.
 */
public final class CpuAffinity {
    /** CPUs the mask can name (1024, glibc's cpu_set_t). */
    private static final int MASK_LONGS = 16;

    private CpuAffinity() {
    }

    /** Work run on one CPU. */
    @FunctionalInterface
    public interface Work<T> {
        T run() throws KernelUnavailable;
    }

    /**
     * Calls {@code work} with the calling thread, and every thread it starts meanwhile, on CPU
     * {@code cpu} alone.
     *
     * @throws KernelUnavailable when this kernel refuses the mask (the reason in one line)
     */
    public static <T> T onOneCpu(int cpu, Work<T> work) throws KernelUnavailable {
        if (cpu < 0 || cpu >= MASK_LONGS * 64) throw new IllegalArgumentException("no such CPU: " + cpu);
        long[] saved = currentMask();
        if ((saved[cpu / 64] & (1L << (cpu % 64))) == 0) {
            throw new KernelUnavailable("CPU " + cpu + " is not in this process's CPU set; run without taskset");
        }
        long[] one = new long[MASK_LONGS];
        one[cpu / 64] = 1L << (cpu % 64);
        if (Libc.sched_setaffinity(0, one.length * 8L, one) != 0) {
            throw new KernelUnavailable("sched_setaffinity to CPU " + cpu + " failed: " + Libc.errnoName(Libc.errno()));
        }
        try {
            return work.run();
        } finally {
            if (Libc.sched_setaffinity(0, saved.length * 8L, saved) != 0) {
                throw new IllegalStateException("could not restore this thread's CPU mask: " + Libc.errnoName(Libc.errno()));
            }
        }
    }

    /** The lowest-numbered CPU the calling thread may run on. */
    public static int firstAllowed() throws KernelUnavailable {
        long[] mask = currentMask();
        for (int i = 0; i < mask.length; i++) {
            if (mask[i] != 0) return i * 64 + Long.numberOfTrailingZeros(mask[i]);
        }
        throw new KernelUnavailable("this thread's CPU set is empty");
    }

    /** How many CPUs the calling thread may run on. */
    public static int allowedCount() throws KernelUnavailable {
        int n = 0;
        for (long m : currentMask()) n += Long.bitCount(m);
        return n;
    }

    private static long[] currentMask() throws KernelUnavailable {
        KernelSupport.requireLinux();
        long[] mask = new long[MASK_LONGS];
        if (Libc.sched_getaffinity(0, mask.length * 8L, mask) < 0) {
            throw new KernelUnavailable("sched_getaffinity failed: " + Libc.errnoName(Libc.errno()));
        }
        return mask;
    }
}
