package org.postcopysim.architecture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The KVM model is plain data and methods (README's design rule): the packages below never use
 * a thread, a clock, a lock, a sleep or a Netty type, so that one model serves the thread runner
 * of the real run and the virtual-time simulator alike. A broken fixture shows each rule bites.
 */
class ArchitectureTest {
    /** The model: what both runners drive. */
    static final String[] MODEL_PACKAGES = {
        "org.postcopysim.dest.kvm",
        "org.postcopysim.dest.uffd",
        "org.postcopysim.dest.fault",
        "org.postcopysim.dest.fetch",
        "org.postcopysim.dest.vcpu",
        "org.postcopysim.dest.workload",
        "org.postcopysim.guest",
        "org.postcopysim.dest.model",
        "org.postcopysim.dest.metrics",
        "org.postcopysim.source.policy",
    };

    @Test
    void theModelUsesNoThreadClockLockSleepOrNettyType() {
        JavaClasses model = new ClassFileImporter()
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages(MODEL_PACKAGES);
        assertTrue(model.size() > 40, "the model packages were found: " + model.size() + " classes");
        List<String> violations = ModelRules.violations(model);
        assertEquals(List.of(), violations, "model code breaks the design rule");
    }

    @Test
    void theRulesCatchAModelThatSleepsReadsTheClockLocksOrUsesNetty() {
        JavaClasses broken = new ClassFileImporter().importPackages("org.postcopysim.architecture.fixture");
        List<String> violations = ModelRules.violations(broken);
        String all = String.join("\n", violations);
        for (String expected : new String[] {"io.netty", "java.util.concurrent.locks", "Thread", "nanoTime",
            "currentTimeMillis", "wait", "synchronized method", "synchronized block"}) {
            assertTrue(all.contains(expected), "the rules miss '" + expected + "' in the broken fixture:\n" + all);
        }
    }
}
