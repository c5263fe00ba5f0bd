package org.postcopysim.protocol.chaos;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class ChaosSpecTest {

    @Test
    void parsesEveryTermAndPrintsTheCanonicalSpec() {
        ChaosSpec s = ChaosSpec.parse("slow-source:32M, corrupt:0.05,reorder:0.3,duplicate:0.2,jitter:4,delay:5,disconnect@12.5%");
        assertTrue(s.disconnects());
        assertEquals(12.5, s.disconnectPercent());
        assertEquals(5, s.delayMs());
        assertEquals(4, s.jitterMs());
        assertEquals(0.2, s.duplicateRate());
        assertEquals(0.3, s.reorderRate());
        assertEquals(0.05, s.corruptRate());
        assertEquals(32L << 20, s.slowSourceBytesPerSec());
        assertEquals("disconnect@12.5%,delay:5,jitter:4,duplicate:0.2,reorder:0.3,corrupt:0.05,slow-source:32M", s.toString());
    }

    @ParameterizedTest
    @ValueSource(strings = {"delay:5", "corrupt:0.05,delay:5", "disconnect@50%", "disconnect@0%", "disconnect@100%",
        "duplicate:0", "reorder:1", "corrupt:0.0001", "jitter:0", "slow-source:2M", "slow-source:1536K",
        "slow-source:1000", "slow-source:3G", "slow-source:2048k", "duplicate:-0", "delay:60000"})
    void toStringRoundTrips(String spec) {
        ChaosSpec s = ChaosSpec.parse(spec);
        ChaosSpec again = ChaosSpec.parse(s.toString());
        assertEquals(s, again);
        assertEquals(s.toString(), again.toString());
        assertEquals(s.hashCode(), again.hashCode());
    }

    @Test
    void termsNotGivenAreOff() {
        ChaosSpec s = ChaosSpec.parse("delay:5");
        assertFalse(s.disconnects());
        assertEquals(0, s.jitterMs());
        assertEquals(0, s.duplicateRate());
        assertEquals(0, s.slowSourceBytesPerSec());
        assertEquals("slow-source:2M", ChaosSpec.parse("slow-source:2048K").toString());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "bogus:1|unknown chaos term 'bogus:1'",
        "delay|unknown chaos term 'delay'",
        "disconnect@150%|'disconnect@150%': percentage must be within 0..100",
        "disconnect@-1%|'disconnect@-1%': percentage must be within 0..100",
        "disconnect@50|'disconnect@50': expected disconnect@P% with a percent sign",
        "disconnect@x%|'disconnect@x%': 'x' is not a number",
        "duplicate:-0.1|'duplicate:-0.1': rate must be within 0..1",
        "corrupt:1.5|'corrupt:1.5': rate must be within 0..1",
        "reorder:NaN|'reorder:NaN': 'NaN' is not a number",
        "reorder:0.5d|'reorder:0.5d': '0.5d' is not a number",
        "delay:-1|'delay:-1': milliseconds must be within 0..60000",
        "jitter:1.5|'jitter:1.5': '1.5' is not a whole number of milliseconds",
        "delay:60001|'delay:60001': milliseconds must be within 0..60000",
        "slow-source:0|'slow-source:0': bytes per second must be positive",
        "slow-source:fast|'slow-source:fast': 'fast' is not a rate in bytes per second",
        "delay:5,delay:6|chaos term 'delay:6' given twice",
        "delay:5,,corrupt:0.1|empty term in chaos spec",
    })
    void rejectsGarbageNamingTheTerm(String spec, String expected) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ChaosSpec.parse(spec));
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "  "})
    void rejectsAnEmptySpec(String spec) {
        assertThrows(IllegalArgumentException.class, () -> ChaosSpec.parse(spec));
    }
}
