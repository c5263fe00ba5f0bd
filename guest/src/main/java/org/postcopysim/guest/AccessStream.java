package org.postcopysim.guest;

/**
 * One vCPU's sequence of guest accesses over dense page indexes [firstPage, firstPage + pages):
 * deterministic from its seed, allocation-free. {@link #next()} advances and leaves the access
 * in {@link #pageIndex()}, {@link #isWrite()} and {@link #word()}.
 */
public final class AccessStream {
    private final Workload workload;
    private final long firstPage;
    private final long pages;
    private final SplitMix64 rng;
    private final ZipfSampler zipf;
    private final long zipfMultiplier;
    private final long hotPages;
    private long cursor;

    private long pageIndex;
    private boolean write;
    private int word;

    public AccessStream(Workload workload, long firstPage, long pages, long seed, long startOffset) {
        if (pages < 1) throw new IllegalArgumentException("an access stream needs at least one page");
        this.workload = workload;
        this.firstPage = firstPage;
        this.pages = pages;
        this.rng = new SplitMix64(seed);
        this.zipf = workload.kind() == Workload.Kind.ZIPF ? new ZipfSampler(pages, workload.zipfTheta()) : null;
        this.zipfMultiplier = coprimeMultiplier(pages);
        this.hotPages = Math.max(1, (long) Math.ceil(pages * workload.hotFraction()));
        this.cursor = Math.floorMod(startOffset, pages);
    }

    /** A multiplier coprime with n, so rank -> (rank * m) mod n is a permutation scattering hot ranks. */
    static long coprimeMultiplier(long n) {
        long m = 0x9E3779B1L % Math.max(1, n);
        if (m < 2) m = 1;
        while (gcd(m, n) != 1) m++;
        return m;
    }

    private static long gcd(long a, long b) {
        while (b != 0) {
            long t = a % b;
            a = b;
            b = t;
        }
        return a;
    }

    public void next() {
        long offset;
        switch (workload.kind()) {
            case SEQUENTIAL:
                offset = cursor;
                cursor = cursor + 1 == pages ? 0 : cursor + 1;
                break;
            case ZIPF:
                offset = Math.floorMod((zipf.sample(rng) - 1) * zipfMultiplier, pages);
                break;
            case HOTSET: {
                long rank = rng.nextDouble() < workload.hotProbability() ? rng.nextLong(hotPages) : rng.nextLong(pages);
                offset = Math.floorMod(rank * zipfMultiplier, pages);
                break;
            }
            case UNIFORM:
            default:
                offset = rng.nextLong(pages);
                break;
        }
        pageIndex = firstPage + offset;
        write = workload.writeFraction() > 0 && rng.nextDouble() < workload.writeFraction();
        word = 1 + (int) rng.nextLong(511);
    }

    /** Dense page index of the current access. */
    public long pageIndex() {
        return pageIndex;
    }

    /** Whether the current access writes. */
    public boolean isWrite() {
        return write;
    }

    /** The data word (1..511) a read checks. */
    public int word() {
        return word;
    }
}
