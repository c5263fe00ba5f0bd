package org.postcopysim.architecture;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.domain.JavaMethod;
import com.tngtech.archunit.core.domain.JavaModifier;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.lang.EvaluationResult;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import org.objectweb.asm.ClassReader;
import org.objectweb.asm.ClassVisitor;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;

/**
 * The design rule of the model, as checks over compiled classes: model code never starts or
 * touches a thread, never sleeps or parks, never reads a clock, never takes a lock (no
 * java.util.concurrent.locks, no synchronized method or block, no wait/notify) and never touches
 * Netty. Atomics are allowed: they are not locks, and a single-threaded simulator pays little for
 * them. Used by {@link ArchitectureTest} on the model packages and on a deliberately broken
 * fixture (the negative control).
 */
final class ModelRules {
    private ModelRules() {}

    static List<ArchRule> rules() {
        List<ArchRule> rules = new ArrayList<>();
        rules.add(noClasses().should().dependOnClassesThat().resideInAnyPackage("io.netty..")
                .because("the model is transport-free: the runners own the network"));
        rules.add(noClasses().should().dependOnClassesThat().resideInAnyPackage("java.util.concurrent.locks..")
                .because("the model takes no lock: the runner serializes what must be serialized"));
        rules.add(noClasses().should().dependOnClassesThat().areAssignableTo(Thread.class)
                .orShould().dependOnClassesThat().areAssignableTo(java.util.concurrent.Executor.class)
                .because("the model starts no thread and hands no work to one"));
        rules.add(noClasses().should().callMethod(System.class, "nanoTime")
                .orShould().callMethod(System.class, "currentTimeMillis")
                .orShould().dependOnClassesThat().areAssignableTo(java.time.Clock.class)
                .orShould().callMethod(java.time.Instant.class, "now")
                .because("the model reads no clock: time is passed in as nowNs"));
        rules.add(noClasses().should().callMethod(Object.class, "wait")
                .orShould().callMethod(Object.class, "wait", long.class)
                .orShould().callMethod(Object.class, "notify")
                .orShould().callMethod(Object.class, "notifyAll")
                .because("the model never waits for or signals another thread"));
        return rules;
    }

    /** Every violation of {@link #rules()} and of the synchronized rule in {@code classes}, as text. */
    static List<String> violations(JavaClasses classes) {
        List<String> out = new ArrayList<>();
        for (ArchRule rule : rules()) {
            EvaluationResult r = rule.evaluate(classes);
            if (r.hasViolation()) out.addAll(r.getFailureReport().getDetails());
        }
        for (JavaClass c : classes) {
            for (JavaMethod m : c.getMethods()) {
                if (m.getModifiers().contains(JavaModifier.SYNCHRONIZED)) {
                    out.add("synchronized method " + m.getFullName() + ": the model takes no lock");
                }
            }
            out.addAll(monitorEnters(c));
        }
        return out;
    }

    /** synchronized blocks (monitorenter) in the bytecode of {@code c}: ArchUnit does not see them. */
    private static List<String> monitorEnters(JavaClass c) {
        List<String> found = new ArrayList<>();
        String resource = c.getName().replace('.', '/') + ".class";
        try (InputStream in = c.reflect().getClassLoader().getResourceAsStream(resource)) {
            if (in == null) throw new IllegalStateException("no class file for " + c.getName());
            new ClassReader(in).accept(new ClassVisitor(Opcodes.ASM9) {
                @Override
                public MethodVisitor visitMethod(int access, String name, String descriptor, String signature,
                                                 String[] exceptions) {
                    return new MethodVisitor(Opcodes.ASM9) {
                        @Override
                        public void visitInsn(int opcode) {
                            if (opcode == Opcodes.MONITORENTER) {
                                found.add("synchronized block in " + c.getName() + "." + name + ": the model takes no lock");
                            }
                        }
                    };
                }
            }, ClassReader.SKIP_DEBUG | ClassReader.SKIP_FRAMES);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return found;
    }
}
