package org.postcopysim.protocol;

import io.netty.buffer.AbstractByteBuf;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.util.ResourceLeakDetector;
import java.lang.reflect.Field;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Turns Netty's leak reports (paranoid level, see the surefire argLine) into test failures: a
 * listener on the ByteBuf leak detector records each report, and after a test class the
 * extension collects garbage, lets the detector poll its queue by allocating, and fails when
 * anything leaked. Netty only detects a leaked buffer once it is garbage-collected, so this is
 * a net under the explicit release checks in the tests, not a replacement for them.
 */
public final class NettyLeakCheck implements BeforeAllCallback, AfterAllCallback {
    /** Collect-and-poll rounds after each class (bounded; no sleeping). */
    private static final int GC_ROUNDS = 4;

    private static final List<String> LEAKS = new CopyOnWriteArrayList<>();
    private static volatile boolean installed;

    @Override
    public void beforeAll(ExtensionContext context) {
        install();
    }

    @Override
    public void afterAll(ExtensionContext context) {
        if (!installed) return;
        for (int round = 0; round < GC_ROUNDS && LEAKS.isEmpty(); round++) {
            System.gc();
            // Each tracked allocation makes the detector poll its reference queue and report.
            for (int i = 0; i < 8; i++) {
                ByteBuf probe = ByteBufAllocator.DEFAULT.buffer(16);
                probe.release();
            }
        }
        if (!LEAKS.isEmpty()) {
            String report = String.join("\n\n", LEAKS);
            LEAKS.clear();
            throw new AssertionError("Netty reported a leaked ByteBuf (found after "
                    + context.getDisplayName() + "; it may come from an earlier class):\n" + report);
        }
    }

    private static synchronized void install() {
        if (installed) return;
        if (ResourceLeakDetector.getLevel() != ResourceLeakDetector.Level.PARANOID) {
            System.err.println("NettyLeakCheck: leak detection level is " + ResourceLeakDetector.getLevel()
                    + ", not PARANOID; leaks may go unnoticed");
        }
        try {
            Field f = AbstractByteBuf.class.getDeclaredField("leakDetector");
            f.setAccessible(true);
            ResourceLeakDetector<?> detector = (ResourceLeakDetector<?>) f.get(null);
            detector.setLeakListener((resourceType, records) -> LEAKS.add(resourceType + " leaked:\n" + records));
            installed = true;
        } catch (ReflectiveOperationException | RuntimeException e) {
            System.err.println("NettyLeakCheck: cannot reach Netty's ByteBuf leak detector (" + e
                    + "); leaks are only logged");
        }
    }
}
