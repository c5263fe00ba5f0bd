package org.postcopysim.cli.compare;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The lines of a comparison: each fault mode, or with backends each mode on each backend
 * ({@code "uffd [kernel]"}), in the order given (mode, then backend), and the child options that
 * select one.
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
        Map<String, List<String>> m = new LinkedHashMap<>();
        for (String mode : modes) {
            if (backends == null) {
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
