package org.postcopysim.text;

/**
 * A count with its noun in the right number, for every line a person reads: "1 vCPU",
 * "4 vCPUs", "1 memslot", "0 gfn ranges", "1 mismatch".
 */
public final class Plural {
    private Plural() {}

    /** {@code n} and {@code noun}, with an "s" unless {@code n} is 1 (or -1). */
    public static String of(long n, String noun) {
        return n + " " + noun(n, noun);
    }

    /** {@code n} and the noun in its number, for a noun whose plural is not a plain "s" ("1 mismatch", "2 mismatches"). */
    public static String of(long n, String singular, String plural) {
        return n + " " + (Math.abs(n) == 1 ? singular : plural);
    }

    /** {@code noun} alone in the number {@code n} asks for: "vCPU" for 1, "vCPUs" otherwise. */
    public static String noun(long n, String noun) {
        return Math.abs(n) == 1 ? noun : noun + "s";
    }
}
