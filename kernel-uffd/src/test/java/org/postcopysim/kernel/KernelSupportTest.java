package org.postcopysim.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.Isolated;

/**
 * Where the kernel backend cannot run, the reason is one line saying which refusal and what to
 * do. The machine-level refusals are checked by presenting another platform to the probe (the
 * permission and kernel-version ones need another machine: there the tests skip with them).
 */
@Isolated
class KernelSupportTest {
    @Test
    void anotherOperatingSystemIsRefusedInOneLineNamingItAndTheWayOut() {
        String reason = withProperty("os.name", "Mac OS X", () -> KernelSupport.unavailableReason(Uffd.Registration.MISSING));
        assertEquals("the kernel backend needs Linux's userfaultfd; this is Mac OS X: use --backend model", reason);
    }

    @Test
    void aProcessorWithoutAKnownSystemCallNumberIsRefusedInOneLine() {
        String reason = withProperty("os.arch", "riscv64", () -> KernelSupport.unavailableReason(Uffd.Registration.MISSING));
        assertTrue(reason.contains("not on riscv64: use --backend model"), reason);
        assertTrue(!reason.contains("\n"), reason);
    }

    @Test
    void thisMachineGivesNoReasonOrAOneLineOne() {
        String reason = KernelSupport.unavailableReason(Uffd.Registration.MISSING);
        assertTrue(reason == null || !reason.contains("\n"), reason);
    }

    private static String withProperty(String key, String value, java.util.function.Supplier<String> body) {
        String old = System.getProperty(key);
        System.setProperty(key, value);
        try {
            return body.get();
        } finally {
            System.setProperty(key, old);
        }
    }
}
