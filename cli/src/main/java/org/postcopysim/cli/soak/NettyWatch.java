package org.postcopysim.cli.soak;

import io.netty.buffer.AbstractByteBuf;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufAllocatorMetricProvider;
import io.netty.util.ResourceLeakDetector;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * Leaks and memory across soak runs. Sets Netty's leak detector to PARANOID (every buffer
 * tracked) and listens to its reports; after each run collects garbage and makes the detector
 * poll, so a buffer leaked by that run is reported before the next starts. Measures the heap,
 * the JVM's direct buffers, its mapped buffers (guest memory) and Netty's allocator after the
 * GC; the figures taken before the first run are the baseline and each run must stay within a
 * tolerance of it: Netty's allocators keep their arenas, so a bounded plateau above the baseline
 * is normal, growth run after run is not.
 */
final class NettyWatch {
    /** Heap growth over the baseline tolerated after a GC (bytes). */
    static final long HEAP_TOLERANCE_BYTES = 48L << 20;
    /** JVM direct buffer growth tolerated (bytes): Netty's arenas and the transports' buffers. */
    static final long DIRECT_TOLERANCE_BYTES = 64L << 20;
    /** Growth of mapped buffers (guest memory) tolerated (bytes): every run unmaps its guests. */
    static final long MAPPED_TOLERANCE_BYTES = 64L << 20;
    /** Growth of the bytes Netty's default allocator has in use tolerated (bytes). */
    static final long NETTY_TOLERANCE_BYTES = 64L << 20;
    /** GC-and-poll rounds after a run (bounded, no sleeping but a short yield). */
    private static final int GC_ROUNDS = 3;

    private final ConcurrentLinkedQueue<String> leaks = new ConcurrentLinkedQueue<>();
    private final boolean listening;
    private Sample baseline;

    /** Heap used, JVM direct buffers used, bytes in use by Netty's default allocator (-1: not measurable). */
    record Sample(long heapBytes, long directBytes, long nettyBytes, long mappedBytes) {
        String describe() {
            return String.format(Locale.ROOT, "heap %d MiB, direct %d MiB, netty %d MiB, mapped %d MiB", heapBytes >> 20,
                    directBytes >> 20, nettyBytes < 0 ? -1 : nettyBytes >> 20, mappedBytes >> 20);
        }
    }

    NettyWatch() {
        ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.PARANOID);
        listening = listen();
    }

    /** False when Netty's detector could not be reached: leaks then go only to the log. */
    boolean listening() {
        return listening;
    }

    private boolean listen() {
        try {
            Field f = AbstractByteBuf.class.getDeclaredField("leakDetector");
            f.setAccessible(true);
            ResourceLeakDetector<?> detector = (ResourceLeakDetector<?>) f.get(null);
            detector.setLeakListener((type, records) -> leaks.add(type + " leaked:\n" + records));
            return true;
        } catch (ReflectiveOperationException | RuntimeException e) {
            return false;
        }
    }

    /** Collects garbage, lets the detector report, and returns the leak reports since the last call. */
    List<String> collectLeaks() {
        for (int round = 0; round < GC_ROUNDS; round++) {
            System.gc();
            Thread.yield();
            // each tracked allocation makes the detector poll its reference queue
            for (int i = 0; i < 16; i++) {
                ByteBuf probe = ByteBufAllocator.DEFAULT.heapBuffer(16);
                probe.release();
            }
        }
        List<String> out = new ArrayList<>();
        for (String s; (s = leaks.poll()) != null; ) out.add(s);
        return out;
    }

    /** Measures now (after {@link #collectLeaks}'s GC); the first call sets the baseline. Returns a finding or null. */
    String checkMemory() {
        Sample now = sample();
        if (baseline == null) {
            baseline = now;
            return null;
        }
        List<String> over = new ArrayList<>();
        if (now.heapBytes() > baseline.heapBytes() + HEAP_TOLERANCE_BYTES) over.add("heap");
        if (now.directBytes() > baseline.directBytes() + DIRECT_TOLERANCE_BYTES) over.add("direct buffers");
        if (now.mappedBytes() > baseline.mappedBytes() + MAPPED_TOLERANCE_BYTES) over.add("mapped buffers (guest memory)");
        if (baseline.nettyBytes() >= 0 && now.nettyBytes() > baseline.nettyBytes() + NETTY_TOLERANCE_BYTES) over.add("Netty allocator");
        if (over.isEmpty()) return null;
        return String.join(", ", over) + " above the baseline: now " + now.describe() + "; baseline before the first run "
                + baseline.describe();
    }

    Sample baseline() {
        return baseline;
    }

    static Sample sample() {
        long heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
        long direct = 0;
        long mapped = 0;
        for (BufferPoolMXBean pool : ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class)) {
            if (pool.getName().equals("direct")) direct = pool.getMemoryUsed();
            if (pool.getName().equals("mapped")) mapped = pool.getMemoryUsed();
        }
        long netty = ByteBufAllocator.DEFAULT instanceof ByteBufAllocatorMetricProvider p
                ? p.metric().usedDirectMemory() + p.metric().usedHeapMemory() : -1;
        return new Sample(heap, direct, netty, mapped);
    }
}
