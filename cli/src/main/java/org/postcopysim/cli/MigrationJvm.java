package org.postcopysim.cli;

import java.util.List;

/**
 * The JVM options of the processes that run a migration: the {@code source} and {@code dest}
 * the launcher starts, and the two {@code demo} starts (before {@code JAVA_OPTS}, so that
 * {@code JAVA_OPTS} can override them).
 *
 * <p>{@code -XX:TieredStopAtLevel=1}: C1 only. A migration process lives for seconds and spends
 * its stream in the kernel and in the copy and checksum stubs, which C1's code calls as C2's
 * does; C2's compiles of the pipeline took 37-44% of a 2-core machine for the whole of a 2 GiB
 * migration, while the profiled tier-3 code ran. The measurements, both ways, are in
 * docs/performance.md. {@code JAVA_OPTS=-XX:TieredStopAtLevel=4} restores C2.
 */
public final class MigrationJvm {
    /** Options placed before {@code JAVA_OPTS}; the launcher script passes the same for {@code source} and {@code dest}. */
    public static final List<String> OPTIONS = List.of("-XX:TieredStopAtLevel=1");

    private MigrationJvm() {}
}
