package org.postcopysim.kernel;

import com.sun.jna.Pointer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.zip.CRC32C;
import org.postcopysim.dest.DestMetrics;
import org.postcopysim.dest.MigrationSummary;
import org.postcopysim.dest.bench.FaultBenchConfig;
import org.postcopysim.dest.bench.FaultBenchResult;
import org.postcopysim.dest.fetch.FaultMode;
import org.postcopysim.dest.metrics.BlocktimeTracker;
import org.postcopysim.dest.metrics.LatencyRecorder;
import org.postcopysim.dest.threads.FetchDelay;
import org.postcopysim.dest.uffd.UffdSet;
import org.postcopysim.memory.AtomicBitmap;
import org.postcopysim.memory.GuestLayout;
import org.postcopysim.memory.PageContents;
import org.postcopysim.time.NanoClock;

/**
 * The fault benchmark on the real kernel (demand_paging_test's shape, host threads in place of
 * vCPUs): guest memory is an mmap'd range registered with a real userfaultfd, the "vCPU" threads
 * touch every page of their range once, each touch of a missing page sleeps in the kernel's
 * {@code handle_userfault()} wait queue, and reader threads {@code poll} and {@code read} the
 * uffd and resolve the fault with {@code UFFDIO_COPY} (MISSING) or {@code UFFDIO_CONTINUE}
 * (MINOR), after {@code --fetch-delay-us}. In mode {@code none} nothing is registered: each
 * thread copies its pages into fresh anonymous memory itself, the kernel zero-filling each on
 * first touch.
 *
 * <p>Every touch reads a word of the page through native code and checks it against the
 * source; at the end every page is compared with the source by CRC32C. A reader that dies, or a
 * run with no fault resolved for {@link KernelBenchOptions#stallTimeoutMs}, fails the run: the
 * range is unregistered, which wakes every sleeping thread, and the error says what happened.
 */
public final class KernelFaultBench {
    private static final int PAGE = GuestLayout.PAGE_SIZE_BYTES;

    private final FaultBenchConfig c;
    private final KernelBenchOptions k;
    private final long pages;
    private final AtomicBitmap present;
    private final AtomicReference<String> failure = new AtomicReference<>();
    private final AtomicLong resolvedAtNs = new AtomicLong();
    private final AtomicLong installed = new AtomicLong();
    private final AtomicLong eexist = new AtomicLong();
    private final AtomicLong wakes = new AtomicLong();
    private GuestRegion guest;
    private GuestRegion source;
    private Uffd[] uffds = new Uffd[0];
    private long[] rangeStarts = new long[0];
    private long[] rangeBytes = new long[0];
    private final Object unregisterLock = new Object();
    private boolean unregistered;
    /** With {@link #runRecordingPlacement}: where each side of every fault ran, and when; else null. */
    private PlacementLog log;
    /** The reader threads, set before any starts (so a resolver finds its own index). */
    private Thread[] readerThreads = new Thread[0];

    private KernelFaultBench(FaultBenchConfig c, KernelBenchOptions k) {
        this.c = c;
        this.k = k;
        this.pages = c.guestBytes() / PAGE;
        this.present = new AtomicBitmap(pages);
    }

    /**
     * Where the scheduler ran the two sides of each fault, as {@link #runRecordingPlacement} counted:
     * of the faults a reader resolved, those whose reader ran on the CPU the thread had faulted on
     * (the fault's wake of the reader stayed on the waker's CPU, or the reader was running there
     * already) and those whose thread resumed on the CPU the reader had resolved it on (the
     * resolving ioctl's wake of the thread stayed on the waker's CPU). Linux places a woken thread on
     * its waker's CPU or on another (wake-affine); on a virtual machine, where an idle CPU halts,
     * which one decides most of a round trip's time. Counted per fault, not per sleep: a reader that
     * found the message without sleeping counts as on the faulting CPU or not as it ran.
     *
     * <p>The placement comes in runs: in page order (each thread's order of faults), a run is a
     * stretch of one thread's faults whose reader all ran on the faulting CPU, or all elsewhere. Few runs over
     * many faults mean the scheduler's choice held for a long time, not fault by fault.
     *
     * @param readerCpus the CPUs the readers resolved faults on, a bit each (CPUs 0-63)
     * @param runs       the runs of the reader's placement in page order (1 when every fault placed alike),
     *                   {@code times.placedRuns() + times.spreadRuns()}
     * @param threads    per thread (each vCPU thread, then each reader), the faults it ran on each CPU:
     *                   a vCPU thread counted where it faulted, a reader where it resolved
     * @param times      the runs' time, placed and spread apart
     */
    public record Placement(long faults, long readerOnFaultingCpu, long resumedOnResolvingCpu, long readerCpus, long runs,
                            List<ThreadCpus> threads, RunTimes times) {
        /** Of the two sides' placements over all faults, the share on the other side's CPU (%), rounded. */
        public int sameCpuPercent() {
            return faults == 0 ? 0 : (int) Math.round(50.0 * (readerOnFaultingCpu + resumedOnResolvingCpu) / faults);
        }
    }

    /**
     * The runs of a placement and the time in them, placed (the fault's reader ran on the faulting
     * CPU) and spread (it ran elsewhere) apart. A fault's time is its thread's, from its touch of
     * the page to its touch of the next one (to its finish after its last): the whole round trip
     * with the thread's loop, so that with one thread the two classes' times add up to the run's.
     *
     * @param placedRuns  runs of placed faults
     * @param placedNs    time of the placed faults (ns)
     * @param spreadRuns  runs of spread faults
     * @param spreadNs    time of the spread faults (ns)
     */
    public record RunTimes(long placedRuns, long placedNs, long spreadRuns, long spreadNs) {
        public static final RunTimes NONE = new RunTimes(0, 0, 0, 0);

        public RunTimes plus(RunTimes o) {
            return new RunTimes(placedRuns + o.placedRuns, placedNs + o.placedNs, spreadRuns + o.spreadRuns, spreadNs + o.spreadNs);
        }
    }

    /** The faults one thread ran on each CPU ({@code faultsByCpu[cpu]}). */
    public record ThreadCpus(String thread, long[] faultsByCpu) {
        /** As {@code vcpu-0 cpu0 4090, cpu1 6}: the CPUs it ran faults on, most first. */
        public String text() {
            StringBuilder b = new StringBuilder(thread);
            boolean[] done = new boolean[faultsByCpu.length];
            String sep = " ";
            while (true) {
                int best = -1;
                for (int cpu = 0; cpu < faultsByCpu.length; cpu++) {
                    if (!done[cpu] && faultsByCpu[cpu] > 0 && (best < 0 || faultsByCpu[cpu] > faultsByCpu[best])) best = cpu;
                }
                if (best < 0) break;
                done[best] = true;
                b.append(sep).append("cpu").append(best).append(' ').append(faultsByCpu[best]);
                sep = ", ";
            }
            return b.toString();
        }
    }

    /** A run and where its wake-ups ran. */
    public record PlacedRun(FaultBenchResult result, Placement placement) {
    }

    /**
     * As {@link #run}, also recording the CPU of each side of every fault (three {@code sched_getcpu}
     * calls per fault: a few tens of nanoseconds, and four ints and a long per page).
     */
    public static PlacedRun runRecordingPlacement(FaultBenchConfig c, KernelBenchOptions k) throws KernelUnavailable {
        if (c.faults().mode() != FaultMode.UFFD) throw new IllegalArgumentException("placement is recorded on the uffd path only");
        if (!c.faults().partitioned()) {
            throw new IllegalArgumentException("placement is recorded per page, so with --access partitioned only (each "
                    + "page faulted by one thread)");
        }
        KernelFaultBench b = new KernelFaultBench(c, k);
        b.log = new PlacementLog(Math.toIntExact(b.pages), c.vcpus(), c.pagesPerVcpu());
        FaultBenchResult r = b.run();
        List<String> readers = new ArrayList<>();
        for (Thread t : b.readerThreads) readers.add(t.getName());
        return new PlacedRun(r, b.log.placement(readers));
    }

    /**
     * Runs the benchmark on this machine's kernel.
     *
     * @throws KernelUnavailable when the kernel refuses the setup (the message says why and what to do)
     * @throws IllegalArgumentException for a mode the kernel has not got (the KVM Userfault modes)
     */
    public static FaultBenchResult run(FaultBenchConfig c, KernelBenchOptions k) throws KernelUnavailable {
        FaultMode mode = c.faults().mode();
        if (mode != FaultMode.UFFD && mode != FaultMode.NONE) {
            throw new IllegalArgumentException("the kernel backend runs --fault-mode none or uffd: "
                    + mode.cliName() + " needs KVM Userfault, which the upstream kernel has not got (use --backend model)");
        }
        if (c.faults().internalAccessFraction() > 0 || c.writeFraction() > 0) {
            throw new IllegalArgumentException("the kernel backend's threads only read: --write-fraction and "
                    + "--internal-access-fraction must be 0");
        }
        return new KernelFaultBench(c, k).run();
    }

    private FaultBenchResult run() throws KernelUnavailable {
        boolean useUffd = c.faults().mode() == FaultMode.UFFD;
        Uffd.Registration reg = k.registration();
        try {
            guest = GuestRegion.map(pages, useUffd ? reg : Uffd.Registration.MISSING);
            long sourceBase;
            if (useUffd && reg == Uffd.Registration.MINOR) {
                sourceBase = guest.aliasAddress(); // the contents wait in the page cache
            } else {
                source = GuestRegion.map(pages, Uffd.Registration.MISSING);
                sourceBase = source.address();
            }
            int[] crcs = fill(sourceBase);
            List<UffdReader> readers = new ArrayList<>();
            if (useUffd) setUpUffds(reg, sourceBase, readers);
            DestMetrics metrics = new DestMetrics(new SimpleMeterRegistry());
            long origin = System.nanoTime();
            BlocktimeTracker blocktime = new BlocktimeTracker(c.vcpus(), origin);
            Toucher[] touchers = new Toucher[c.vcpus()];
            Thread[] vcpuThreads = new Thread[c.vcpus()];
            Thread[] readerThreads = new Thread[readers.size()];
            this.readerThreads = readerThreads; // filled in before each starts: a reader finds its own index
            for (int r = 0; r < readers.size(); r++) {
                readerThreads[r] = new Thread(readers.get(r), readers.get(r).name());
                readerThreads[r].setDaemon(true);
                readerThreads[r].start();
            }
            resolvedAtNs.set(System.nanoTime());
            for (int v = 0; v < c.vcpus(); v++) {
                touchers[v] = new Toucher(v, useUffd, sourceBase, false, metrics.latencyRecorder(), blocktime);
                vcpuThreads[v] = new Thread(touchers[v], "vcpu-" + v);
                vcpuThreads[v].setDaemon(true);
            }
            for (Thread t : vcpuThreads) t.start();
            watch(vcpuThreads, useUffd);
            for (UffdReader r : readers) r.stop();
            join(readerThreads);
            unregisterAll(); // after this no page of the range can sleep a thread
            String error = failure.get();
            if (error == null) error = verify(crcs);
            return result(touchers, readers, metrics, blocktime, error);
        } finally {
            for (Uffd u : uffds) u.close();
            if (guest != null) guest.close();
            if (source != null) source.close();
        }
    }

    /** Writes the source's contents (through the alias for MINOR) and returns each page's CRC32C. */
    private int[] fill(long base) {
        int[] crcs = new int[Math.toIntExact(pages)];
        ByteBuffer[] chunks = GuestRegion.chunks(base, pages * PAGE);
        int threads = Math.max(1, Math.min(4, Runtime.getRuntime().availableProcessors()));
        List<Thread> workers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            long from = pages * t / threads;
            long to = pages * (t + 1) / threads;
            Thread w = new Thread(() -> {
                CRC32C crc = new CRC32C();
                for (long p = from; p < to; p++) {
                    ByteBuffer page = page(chunks, p);
                    PageContents.fill(page, c.seed(), p);
                    crcs[(int) p] = PageContents.crc32c(crc, page);
                }
            }, "kernel-bench-fill-" + t);
            w.start();
            workers.add(w);
        }
        join(workers.toArray(new Thread[0]));
        return crcs;
    }

    private static ByteBuffer page(ByteBuffer[] chunks, long p) {
        long off = p * PAGE;
        int at = GuestRegion.offsetInChunk(off);
        return chunks[GuestRegion.chunkOf(off)].duplicate().order(java.nio.ByteOrder.LITTLE_ENDIAN)
                .position(at).limit(at + PAGE);
    }

    private void setUpUffds(Uffd.Registration reg, long sourceBase, List<UffdReader> readers) throws KernelUnavailable {
        boolean perVcpu = c.faults().uffdScope() == UffdSet.Scope.PER_VCPU;
        int n = perVcpu ? c.vcpus() : 1;
        uffds = new Uffd[n];
        rangeStarts = new long[n];
        rangeBytes = new long[n];
        long pagesPer = pages / n;
        for (int u = 0; u < n; u++) {
            uffds[u] = Uffd.open(reg);
            rangeStarts[u] = guest.address() + u * pagesPer * PAGE;
            rangeBytes[u] = (u == n - 1 ? pages - u * pagesPer : pagesPer) * PAGE;
            uffds[u].register(rangeStarts[u], rangeBytes[u], reg);
        }
        UffdReader.Resolver resolver = reg == Uffd.Registration.MINOR ? this::resolveMinor
                : (uffd, address, flags, s) -> resolveMissing(uffd, address, sourceBase, s);
        int perUffd = c.faults().uffdReaders();
        for (int u = 0; u < n; u++) {
            for (int r = 0; r < perUffd; r++) {
                String name = n == 1 ? "uffd-reader-" + r : "uffd-" + u + "-reader-" + r;
                long dieAfter = u == 0 && r == 0 ? k.killFirstReaderAfterFaults() : -1;
                readers.add(new UffdReader(name, uffds[u], resolver, this::readerDied, dieAfter));
            }
        }
    }

    /** The resolving ioctl of one registration: UFFDIO_COPY from the source, or UFFDIO_CONTINUE. */
    @FunctionalInterface
    private interface Place {
        int place(Uffd uffd, long pageAddress, long offset, Scratch s);
    }

    private int resolveMissing(Uffd uffd, long faultAddress, long sourceBase, Scratch s) {
        return resolve(uffd, faultAddress, s, (u, page, offset, sc) -> {
            long from = k.wrongSourcePage() ? (offset + PAGE) % (pages * PAGE) : offset;
            return u.copy(page, sourceBase + from, PAGE, k.separateWake(), sc);
        });
    }

    private int resolveMinor(Uffd uffd, long faultAddress, long flags, Scratch s) {
        return resolve(uffd, faultAddress, s, (u, page, offset, sc) -> u.continueRange(page, PAGE, k.separateWake(), sc));
    }

    /**
     * After the fetch delay, places the page: on success the ioctl woke the waiters (or, with
     * DONTWAKE, a UFFDIO_WAKE does); EEXIST means another resolver won the race, its ioctl woke the
     * waiters then and a late one refaults onto the mapped page, and a UFFDIO_WAKE closes any window
     * in between; EAGAIN (the mm changed under the ioctl) retries. Returns 0 or a negative errno.
     */
    private int resolve(Uffd uffd, long faultAddress, Scratch s, Place place) {
        long pageAddress = faultAddress & -(long) PAGE;
        long offset = pageAddress - guest.address();
        if (log != null) {
            log.resolveCpu[(int) (offset / PAGE)] = Libc.sched_getcpu();
            log.resolvedBy[(int) (offset / PAGE)] = readerIndex(Thread.currentThread());
        }
        FetchDelay.await(c.fetchDelayNs(), NanoClock.SYSTEM, this);
        while (true) {
            int r = place.place(uffd, pageAddress, offset, s);
            if (r == 0) {
                installed.incrementAndGet();
                if (k.separateWake()) wake(uffd, pageAddress, s);
                else wakes.incrementAndGet();
                break;
            }
            if (r == -Libc.EEXIST) {
                eexist.incrementAndGet();
                wake(uffd, pageAddress, s);
                break;
            }
            if (r == -Libc.EAGAIN) continue;
            return r;
        }
        markPresent(offset);
        return 0;
    }

    private int readerIndex(Thread t) {
        for (int r = 0; r < readerThreads.length; r++) if (readerThreads[r] == t) return r;
        return -1;
    }

    private void wake(Uffd uffd, long pageAddress, Scratch s) {
        int r = uffd.wake(pageAddress, PAGE, s);
        if (r != 0) throw new IllegalStateException("UFFDIO_WAKE failed: " + Libc.errnoName(-r));
        wakes.incrementAndGet();
    }

    private void markPresent(long offset) {
        present.set(offset / PAGE);
        resolvedAtNs.lazySet(System.nanoTime());
    }

    private void readerDied(String reader, String why) {
        fail("uffd reader " + reader + " died: " + why + "; its faults could not be resolved, so the run stopped "
                + "and the memory was unregistered to wake the sleeping threads");
    }

    private void fail(String why) {
        if (failure.compareAndSet(null, why)) unregisterAll();
    }

    /** UFFDIO_UNREGISTER of every range: sleeping threads wake and refault without the uffd. Idempotent. */
    private void unregisterAll() {
        synchronized (unregisterLock) {
            if (unregistered) return;
            unregistered = true;
            Scratch s = new Scratch(0);
            for (int u = 0; u < uffds.length; u++) uffds[u].unregister(rangeStarts[u], rangeBytes[u], s);
        }
    }

    /** Waits for the vCPU threads, failing the run when readers stall; returns once every vCPU has ended. */
    private void watch(Thread[] vcpus, boolean useUffd) {
        long deadline = System.nanoTime() + k.runTimeoutMs() * 1_000_000L;
        for (Thread t : vcpus) {
            while (t.isAlive()) {
                try {
                    t.join(50);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    fail("interrupted");
                    return;
                }
                long now = System.nanoTime();
                if (useUffd && now - resolvedAtNs.get() > k.stallTimeoutMs() * 1_000_000L) {
                    fail("no fault was resolved for " + k.stallTimeoutMs() + " ms while vCPU threads waited; the memory "
                            + "was unregistered to wake them");
                }
                if (now > deadline) fail("the run took longer than " + k.runTimeoutMs() + " ms");
            }
        }
    }

    private static void join(Thread[] threads) {
        for (Thread t : threads) {
            try {
                t.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while joining " + t.getName(), e);
            }
        }
    }

    /**
     * The benchmark's own userspace work per fault, timed on present memory where nothing
     * faults: what the kernel's round trip includes besides the kernel's steps and the
     * wake-ups, and what the simulator charges as {@code fault-user} and {@code uffd-reader-user}.
     *
     * @param vcpuNs   a "vCPU" thread's per faulted page (the present check, two timestamps, the
     *                 blocktime and latency records, the native read and its check): the
     *                 {@link Toucher}'s loop over present pages, each recorded as if it had waited
     * @param readerNs a reader's per fault message besides its system calls (the decode and the
     *                 resolver's bookkeeping: the counters, the present bit, the progress
     *                 timestamp): {@link UffdReader#handle} with the resolving ioctl left out
     */
    public record UserWork(long vcpuNs, long readerNs) {
    }

    /** Times the benchmark's own per-fault work over {@code pages} present pages, the fastest of {@code rounds}. */
    public static UserWork measureUserWork(long pages, int rounds, long seed) throws KernelUnavailable {
        if (rounds < 1 || pages < 1) throw new IllegalArgumentException("rounds and pages must be at least 1");
        FaultBenchConfig one = new FaultBenchConfig(new org.postcopysim.dest.fault.FaultOptions(FaultMode.UFFD, 1,
                UffdSet.Scope.SHARED, 0, true), 1, pages * PAGE, 0, 0, seed);
        KernelFaultBench b = new KernelFaultBench(one, KernelBenchOptions.DEFAULT);
        try {
            b.guest = GuestRegion.map(pages, Uffd.Registration.MISSING); // not registered: every page present once filled
            b.fill(b.guest.address());
            long vcpu = Long.MAX_VALUE;
            long reader = Long.MAX_VALUE;
            Place none = (u, page, offset, sc) -> 0; // the ioctl is timed by KernelCostProbe
            for (int r = 0; r <= rounds; r++) { // round 0 warms up
                DestMetrics metrics = new DestMetrics(new SimpleMeterRegistry());
                Toucher t = b.new Toucher(0, true, 0, true, metrics.latencyRecorder(),
                        new BlocktimeTracker(1, System.nanoTime()));
                t.run();
                if (t.stale > 0) throw new IllegalStateException("the user-work probe read contents other than the source's");
                UffdReader h = new UffdReader("user-work-probe", null,
                        (uffd, address, flags, s) -> b.resolve(uffd, address, s, none), (name, why) -> { });
                long base = b.guest.address();
                long t0 = System.nanoTime();
                for (long p = 0; p < pages; p++) {
                    h.queueFaultMessage(base + p * PAGE + 8);
                    h.handle(0);
                }
                long readerRound = (System.nanoTime() - t0) / pages;
                if (r == 0) continue;
                vcpu = Math.min(vcpu, (t.finishedNs - t.startedNs) / pages);
                reader = Math.min(reader, readerRound);
            }
            return new UserWork(vcpu, reader);
        } finally {
            b.guest.close();
        }
    }

    /** One "vCPU": a host thread touching its pages through native reads. */
    private final class Toucher implements Runnable {
        final int vcpu;
        final boolean useUffd;
        final long sourceBase;
        /** Record every page as one that waited (the user-work probe, on present memory). */
        final boolean recordEvery;
        final LatencyRecorder latency;
        final BlocktimeTracker blocktime;
        final long firstPage;
        final long count;
        long touched;
        long waited;
        long stale;
        long startedNs;
        long finishedNs;

        Toucher(int vcpu, boolean useUffd, long sourceBase, boolean recordEvery, LatencyRecorder latency,
                BlocktimeTracker blocktime) {
            this.vcpu = vcpu;
            this.useUffd = useUffd;
            this.sourceBase = sourceBase;
            this.recordEvery = recordEvery;
            this.latency = latency;
            this.blocktime = blocktime;
            this.firstPage = c.faults().partitioned() ? vcpu * c.pagesPerVcpu() : 0;
            this.count = c.pagesPerVcpu();
        }

        @Override
        public void run() {
            Pointer mem = new Pointer(guest.address());
            startedNs = System.nanoTime();
            try {
                for (long i = 0; i < count && failure.get() == null; i++) {
                    long p = firstPage + i;
                    int word = PageContents.FIRST_DATA_WORD + (int) (p % (PageContents.WORDS_PER_PAGE - 1));
                    long offset = p * PAGE;
                    boolean waits = !useUffd || !present.get(p) || recordEvery;
                    if (log != null) log.faultCpu[(int) p] = Libc.sched_getcpu();
                    long t0 = System.nanoTime();
                    if (log != null) log.touchStartNs[(int) p] = t0;
                    if (waits) blocktime.onBlock(vcpu, t0);
                    if (!useUffd) {
                        Libc.memcpy(guest.address() + offset, sourceBase + offset, PAGE);
                        present.set(p);
                    }
                    long value = mem.getLong(offset + (long) word * Long.BYTES);
                    long t1 = System.nanoTime();
                    if (log != null) log.resumeCpu[(int) p] = Libc.sched_getcpu();
                    if (waits) {
                        blocktime.onUnblock(vcpu, t1);
                        latency.record(t1 - t0);
                        waited++;
                    }
                    touched++;
                    if (value != PageContents.expectedWord(c.seed(), p, word)) stale++;
                }
            } catch (Throwable t) {
                fail("vcpu-" + vcpu + " failed: " + t);
            } finally {
                finishedNs = System.nanoTime();
                if (log != null) log.vcpuFinishedNs[vcpu] = finishedNs;
            }
        }
    }

    private String verify(int[] crcs) {
        ByteBuffer[] chunks = GuestRegion.chunks(guest.address(), pages * PAGE);
        CRC32C crc = new CRC32C();
        long missing = 0;
        long mismatched = 0;
        long firstBad = -1;
        for (long p = 0; p < pages; p++) {
            if (!present.get(p)) {
                missing++;
            } else if (PageContents.crc32c(crc, page(chunks, p)) != crcs[(int) p]) {
                mismatched++;
            } else {
                continue;
            }
            if (firstBad < 0) firstBad = p;
        }
        if (missing == 0 && mismatched == 0) return null;
        return String.format("%d pages missing and %d differing from the source after the run (first page %d)",
                missing, mismatched, firstBad);
    }

    private FaultBenchResult result(Toucher[] touchers, List<UffdReader> readers, DestMetrics metrics,
                                    BlocktimeTracker blocktime, String error) {
        int n = touchers.length;
        double[] perVcpu = new double[n];
        long first = Long.MAX_VALUE;
        long last = Long.MIN_VALUE;
        long touched = 0;
        long stale = 0;
        long[] blockedPerVcpu = new long[n];
        for (int v = 0; v < n; v++) {
            Toucher t = touchers[v];
            long ns = Math.max(1, t.finishedNs - t.startedNs);
            perVcpu[v] = t.touched * 1e9 / ns;
            first = Math.min(first, t.startedNs);
            last = Math.max(last, t.finishedNs);
            touched += t.touched;
            stale += t.stale;
            blockedPerVcpu[v] = blocktime.vcpuBlockedNs(v);
        }
        if (error == null && stale > 0) error = stale + " reads saw contents other than the source's";
        long faults = 0;
        long pollWakeups = 0;
        for (UffdReader r : readers) {
            faults += r.faults;
            pollWakeups += r.pollWakeups;
        }
        long elapsedNs = Math.max(1, last - first);
        boolean useUffd = c.faults().mode() == FaultMode.UFFD;
        // The kernel does not say how many sleepers a wake walked past: that field is null here.
        MigrationSummary.UffdStats uffd = useUffd
                ? new MigrationSummary.UffdStats(faults, wakes.get(), null, faults, eexist.get(), pollWakeups)
                : MigrationSummary.UffdStats.NONE;
        long redundant = useUffd ? eexist.get() : 0;
        return new FaultBenchResult("kernel", c.faults().mode().cliName(), c.vcpus(), c.faults().reportedReaders(),
                c.faults().reportedUffdScope(), c.faults().accessName(), c.memPerVcpuBytes(), c.fetchDelayNs() / 1000,
                0, c.seed(), error == null, error, c.pagesPerVcpu(), touched, touched * 1e9 / elapsedNs, perVcpu,
                metrics.latency(), metrics.latencyLog2Us(), 0, new long[n], useUffd ? faults : 0,
                useUffd ? installed.get() : present.cardinality(), redundant, 0, uffd,
                new MigrationSummary.Blocktime(blocktime.allBlockedNs(), blockedPerVcpu), stale, elapsedNs);
    }
}
