package org.postcopysim.cli.soak;

import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.List;
import org.postcopysim.dest.MigrationSummary;

/**
 * What this build of the simulator can do, found once at run time so that the soak runs on
 * builds with or without fault injection and postcopy recovery: chaos specs are kept only when
 * the build's parser accepts them, and {@code disconnect@P%} only when the destination reports
 * recoveries (without recovery a dropped link fails the migration by design).
 *
 * @param chaosMenu          chaos specs this build accepts, "none" excluded (empty: no fault injection)
 * @param reportsRecoveries  MigrationSummary has {@code recoveries()}
 * @param reportsStalls      MigrationSummary has {@code stalls()}
 */
record Features(List<String> chaosMenu, boolean reportsRecoveries, boolean reportsStalls) {
    /** Every spec the soak would like to draw from, before checking what this build accepts. */
    static final List<String> CHAOS_WISHLIST = List.of(
            "corrupt:0.01", "duplicate:0.05", "reorder:0.05", "delay:1", "jitter:2", "slow-source:32M",
            "disconnect@40%",
            "corrupt:0.01,duplicate:0.05", "reorder:0.05,jitter:2", "delay:1,duplicate:0.05,corrupt:0.01",
            "slow-source:32M,reorder:0.05", "disconnect@40%,corrupt:0.01", "disconnect@40%,duplicate:0.05,jitter:2");

    private static final String CHAOS_SPEC_CLASS = "org.postcopysim.protocol.chaos.ChaosSpec";

    /** A build without fault injection or recovery: the run configurations draw no chaos. */
    static final Features NONE = new Features(List.of(), false, false);

    static Features detect() {
        boolean recoveries = hasAccessor("recoveries");
        List<String> menu = new ArrayList<>();
        Method parse = chaosParser();
        if (parse != null) {
            for (String spec : CHAOS_WISHLIST) {
                if (spec.contains("disconnect") && !recoveries) continue;
                try {
                    parse.invoke(null, spec);
                    menu.add(spec);
                } catch (ReflectiveOperationException | RuntimeException rejected) {
                    // this build does not know the term: leave it out
                }
            }
        }
        return new Features(List.copyOf(menu), recoveries, hasAccessor("stalls"));
    }

    private static Method chaosParser() {
        try {
            return Class.forName(CHAOS_SPEC_CLASS).getMethod("parse", String.class);
        } catch (ReflectiveOperationException | LinkageError e) {
            return null;
        }
    }

    private static boolean hasAccessor(String name) {
        try {
            MigrationSummary.class.getMethod(name);
            return true;
        } catch (NoSuchMethodException e) {
            return false;
        }
    }

    /** "chaos: 13 specs; recoveries: reported; stalls: reported". */
    String describe() {
        return "chaos " + (chaosMenu.isEmpty() ? "unavailable" : chaosMenu.size() + " specs")
                + ", recoveries " + (reportsRecoveries ? "checked" : "not reported by this build")
                + ", stalls " + (reportsStalls ? "checked" : "not reported by this build");
    }
}
