package org.postcopysim.cli.compare;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The lines of a comparison: each fault mode, or with backends each mode on each backend
 * ({@code "uffd [kernel]"}), or with background orders each mode with each order
 * ({@code "uffd [prepage:64]"}), in the order given (mode, then backend or order), and the child
 * options that select one.
 */
final class Series {
    private final Map<String, List<String>> argsByLabel;

    private Series(Map<String, List<String>> argsByLabel) {
        this.argsByLabel = argsByLabel;
    }

    /**
     * @param backends null: the model alone, labelled by mode (the children get no --backend)
     * @param simArgs  options for the sim backend's children only (its costs and host CPUs)
     */
    static Series of(List<String> modes, List<String> backends, List<String> simArgs) {
        return of(modes, backends, simArgs, null);
    }

    /**
     * @param orders null: the children's default background order, the line labelled by mode
     *               alone; else each mode with each order (never with backends: they are the
     *               fault bench's, orders the migration's)
     */
    static Series of(List<String> modes, List<String> backends, List<String> simArgs, List<String> orders) {
        if (backends != null && orders != null) throw new IllegalArgumentException("backends and background orders do not combine");
        Map<String, List<String>> m = new LinkedHashMap<>();
        for (String mode : modes) {
            if (orders != null) {
                for (String o : orders) m.put(label(mode, o), List.of("--fault-mode", mode, "--background-order", o));
            } else if (backends == null) {
                m.put(mode, List.of("--fault-mode", mode));
            } else {
                for (String b : backends) {
                    List<String> a = new ArrayList<>(List.of("--fault-mode", mode, "--backend", b));
                    if (b.equals("sim")) a.addAll(simArgs);
                    m.put(label(mode, b), List.copyOf(a));
                }
            }
        }
        return new Series(m);
    }

    static String label(String mode, String backend) {
        return mode + " [" + backend + "]";
    }

    List<String> labels() {
        return new ArrayList<>(argsByLabel.keySet());
    }

    /** The options that make a child run the line {@code label}. */
    List<String> childArgs(String label) {
        List<String> a = argsByLabel.get(label);
        if (a == null) throw new IllegalArgumentException("no line '" + label + "' in this comparison");
        return a;
    }
}
