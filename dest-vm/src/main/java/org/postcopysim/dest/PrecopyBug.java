package org.postcopysim.dest;

/**
 * Deliberate mistakes of a destination that receives precopy, for the negative controls of the
 * migration's integrity check: a test runs a migration with one ({@code DestVm.run}, package-
 * private, so only tests of this package can) and shows the completion digest catches it. Not an
 * option anyone can set on a run.
 */
enum PrecopyBug {
    /** None: the destination as it is. */
    NONE,
    /** The Discard chunks are read and counted but no page is dropped: stale copies stay present. */
    IGNORE_DISCARD,
    /** A later round's copy of a present page is dropped as a duplicate instead of replacing it. */
    KEEP_FIRST_COPY
}
