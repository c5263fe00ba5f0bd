package org.postcopysim.source.policy;

import java.util.Locale;

/**
 * The order in which the background stream sends the pages not sent yet, as a value: one of
 * <ul>
 *   <li>{@code linear}: page index (gfn) order from page 0, wrapping; demand requests do not move
 *       the scan;</li>
 *   <li>{@code follow-faults}: the same scan, but each demand request moves it to just after the
 *       page requested, as QEMU's postcopy does (the default);</li>
 *   <li>{@code prepage:W}: adaptive pre-paging around recent faults (Hines and Gopalan,
 *       "Post-copy based live virtual machine migration using adaptive pre-paging and dynamic
 *       self-ballooning"): the background first sends a window of {@code W} pages around each of the
 *       {@value PrepageScan#RECENT_FAULTS} most recent faults, newest first, at offsets +1, -1, +2,
 *       -2, ... from the fault, and the rest in the linear order;</li>
 *   <li>{@code grow-chunks}: CRIU's lazy-pages style: the scan sends chunks of consecutive pages
 *       that double from {@value ChunkScan#MIN_CHUNK_PAGES} pages (64 KiB) to
 *       {@value ChunkScan#MAX_CHUNK_PAGES} pages (4 MiB); after a fault the next chunk starts just
 *       after the faulting page and is 64 KiB again.</li>
 * </ul>
 * {@link #newScan} makes the mutable state that applies it to one migration's {@link SentBitmap}.
 *
 * @param kind        which order
 * @param windowPages pre-paging window (pages, {@code prepage} only; 0 for the others)
 */
public record BackgroundOrder(Kind kind, int windowPages) {
    /** The four orders. */
    public enum Kind {
        LINEAR("linear"), FOLLOW_FAULTS("follow-faults"), PREPAGE("prepage"), GROW_CHUNKS("grow-chunks");

        private final String cliName;

        Kind(String cliName) {
            this.cliName = cliName;
        }

        public String cliName() {
            return cliName;
        }
    }

    /** The largest pre-paging window (pages): 1 GiB of 4 KiB pages around one fault. */
    public static final int MAX_WINDOW_PAGES = 1 << 18;

    public static final BackgroundOrder LINEAR = new BackgroundOrder(Kind.LINEAR, 0);
    public static final BackgroundOrder FOLLOW_FAULTS = new BackgroundOrder(Kind.FOLLOW_FAULTS, 0);
    public static final BackgroundOrder GROW_CHUNKS = new BackgroundOrder(Kind.GROW_CHUNKS, 0);
    /** Today's behaviour, QEMU's: the scan moves next to the last page requested. */
    public static final BackgroundOrder DEFAULT = FOLLOW_FAULTS;

    /** The spellings {@link #parse} takes, for help texts and errors. */
    public static final String SYNTAX = "linear, follow-faults, prepage:W (W = window in pages, 1.." + MAX_WINDOW_PAGES
            + ") or grow-chunks";

    public BackgroundOrder {
        java.util.Objects.requireNonNull(kind, "kind");
        if (kind == Kind.PREPAGE && (windowPages < 1 || windowPages > MAX_WINDOW_PAGES)) {
            throw new IllegalArgumentException("the pre-paging window must be within 1.." + MAX_WINDOW_PAGES
                    + " pages, got " + windowPages);
        }
        if (kind != Kind.PREPAGE && windowPages != 0) {
            throw new IllegalArgumentException(kind.cliName() + " takes no window, got " + windowPages);
        }
    }

    /** Pre-paging with a window of {@code windowPages} pages around each recent fault. */
    public static BackgroundOrder prepage(int windowPages) {
        return new BackgroundOrder(Kind.PREPAGE, windowPages);
    }

    /**
     * Parses {@code linear}, {@code follow-faults}, {@code prepage:W} or {@code grow-chunks}
     * (case-insensitive, surrounding blanks ignored).
     *
     * @throws IllegalArgumentException naming what is wrong and what is expected
     */
    public static BackgroundOrder parse(String spec) {
        String s = spec == null ? "" : spec.trim().toLowerCase(Locale.ROOT);
        switch (s) {
            case "linear":
                return LINEAR;
            case "follow-faults":
                return FOLLOW_FAULTS;
            case "grow-chunks":
                return GROW_CHUNKS;
            case "prepage":
                throw new IllegalArgumentException("prepage needs its window: prepage:W, W pages around each recent "
                        + "fault (1.." + MAX_WINDOW_PAGES + "), e.g. prepage:64");
            default:
                break;
        }
        if (s.startsWith("prepage:")) {
            String w = s.substring("prepage:".length());
            int window;
            try {
                window = Integer.parseInt(w);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("the pre-paging window '" + w + "' is not a whole number of pages "
                        + "(expected prepage:W with W within 1.." + MAX_WINDOW_PAGES + ")");
            }
            return prepage(window);
        }
        throw new IllegalArgumentException("unknown background order '" + spec + "' (expected " + SYNTAX + ")");
    }

    /** The scan that applies this order to {@code sent}. */
    ScanOrder newScan(SentBitmap sent, int bugs) {
        switch (kind) {
            case LINEAR:
                return new CursorScan(sent, false, bugs);
            case FOLLOW_FAULTS:
                return new CursorScan(sent, true, bugs);
            case PREPAGE:
                return new PrepageScan(sent, windowPages, bugs);
            case GROW_CHUNKS:
            default:
                return new ChunkScan(sent, bugs);
        }
    }

    /** The canonical spelling: {@code linear}, {@code follow-faults}, {@code prepage:64}, {@code grow-chunks}. */
    @Override
    public String toString() {
        return kind == Kind.PREPAGE ? kind.cliName() + ":" + windowPages : kind.cliName();
    }
}
