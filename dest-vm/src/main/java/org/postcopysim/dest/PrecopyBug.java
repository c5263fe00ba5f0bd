package org.postcopysim.dest;

/**
 * Deliberate mistakes of a destination that receives precopy, for the negative controls: a test
 * runs a migration with one ({@code DestVm.run}, package-private, so only tests of this package
 * can) and shows the check that guards against it (the completion digest, or the per-phase counts
 * against the source's) catches it. Not an option anyone can set on a run.
 */
enum PrecopyBug {
    /** None: the destination as it is. */
    NONE,
    /** The Discard chunks are read and counted but no page is dropped: stale copies stay present. */
    IGNORE_DISCARD,
    /** A later round's copy of a present page is dropped as a duplicate instead of replacing it. */
    KEEP_FIRST_COPY,
    /** The end of precopy is not marked in the phase counters: precopy's pages count as the downtime's. */
    PRECOPY_END_NOT_MARKED,
    /**
     * With several BACKGROUND streams, the discard set is applied as soon as the first stream has
     * delivered it, while precopy pages may still be on their way on the others.
     */
    DISCARD_ON_FIRST_STREAM,
    /**
     * A precopy copy replaces the one here whatever its round: the last copy to arrive wins, so an
     * earlier round's copy overtaken on another stream overwrites the later one.
     */
    LAST_ARRIVAL_WINS
}
