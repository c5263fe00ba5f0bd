package org.postcopysim.text;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class PluralTest {
    @Test
    void oneTakesTheSingularEveryOtherCountThePlural() {
        assertEquals("1 vCPU", Plural.of(1, "vCPU"));
        assertEquals("0 vCPUs", Plural.of(0, "vCPU"));
        assertEquals("4 vCPUs", Plural.of(4, "vCPU"));
        assertEquals("1 gfn range", Plural.of(1, "gfn range"));
        assertEquals("memslots", Plural.noun(2, "memslot"));
        assertEquals("memslot", Plural.noun(1, "memslot"));
        assertEquals("1 mismatch", Plural.of(1, "mismatch", "mismatches"));
        assertEquals("3 mismatches", Plural.of(3, "mismatch", "mismatches"));
    }
}
