package org.postcopysim.cli.validate;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Whether the simulation matches the kernel: every cell's sim/kernel ratio within
 * [{@link #MIN_RATIO}, {@link #MAX_RATIO}], and at each vCPU count the simulation orders the
 * configurations as the kernel does. The kernel orders two configurations only when it does so
 * beyond its own noise: their fastest passes differ by more than the tie tolerance (the faster
 * more than that fraction above the slower) and every pass ran them in the same order (the
 * passes interleave the cells, so a pass's two runs saw about the same load on the machine).
 * Otherwise they are tied, and either simulated order is accepted.
 *
 * @param failures what failed, one line per failed cell or pair; empty when the verdict holds
 */
public record Verdict(List<String> failures, double tieTolerance) {
    public static final double MIN_RATIO = 0.5;
    public static final double MAX_RATIO = 2.0;

    public boolean holds() {
        return failures.isEmpty();
    }

    public static Verdict of(List<ValidationRow> rows, double tieTolerance) {
        List<String> failures = new ArrayList<>();
        for (ValidationRow r : rows) {
            double q = r.simOverKernel();
            if (!(q >= MIN_RATIO && q <= MAX_RATIO)) {
                failures.add(String.format(Locale.ROOT, "%s at %d vCPUs: sim/kernel %.2f is outside [%.1f, %.1f]",
                        r.config().label(), r.vcpus(), q, MIN_RATIO, MAX_RATIO));
            }
        }
        for (int i = 0; i < rows.size(); i++) {
            for (int j = i + 1; j < rows.size(); j++) {
                ValidationRow a = rows.get(i);
                ValidationRow b = rows.get(j);
                if (a.vcpus() != b.vcpus() || a.config() == b.config()) continue;
                double ka = a.kernel().pagesPerSec();
                double kb = b.kernel().pagesPerSec();
                if (Math.max(ka, kb) <= Math.min(ka, kb) * (1 + tieTolerance)) continue; // tied in the kernel
                boolean kernelAFaster = ka > kb;
                if (!everyPass(a.kernel().passRates(), b.kernel().passRates(), kernelAFaster)) continue; // noise
                boolean simAFaster = a.sim().pagesPerSec() > b.sim().pagesPerSec();
                if (kernelAFaster != simAFaster) {
                    ValidationRow fast = kernelAFaster ? a : b;
                    ValidationRow slow = kernelAFaster ? b : a;
                    failures.add(String.format(Locale.ROOT, "at %d vCPUs the kernel runs %s %.2fx faster than %s, "
                                    + "the simulation %.2fx slower", a.vcpus(), fast.config().label(),
                            fast.kernel().pagesPerSec() / slow.kernel().pagesPerSec(), slow.config().label(),
                            slow.sim().pagesPerSec() / fast.sim().pagesPerSec()));
                }
            }
        }
        return new Verdict(List.copyOf(failures), tieTolerance);
    }

    /** Whether every pass ran a faster than b ({@code aFaster}) or b faster than a. */
    static boolean everyPass(double[] a, double[] b, boolean aFaster) {
        for (int p = 0; p < Math.min(a.length, b.length); p++) {
            if ((a[p] > b[p]) != aFaster) return false;
        }
        return true;
    }
}
