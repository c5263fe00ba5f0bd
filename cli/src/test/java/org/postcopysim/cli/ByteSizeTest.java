package org.postcopysim.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine.TypeConversionException;

class ByteSizeTest {

    @ParameterizedTest(name = "{0} = {1} bytes")
    @CsvSource({
            "4096, 4096",
            "0, 0",
            "64K, 65536",
            "64k, 65536",
            "256M, 268435456",
            "1G, 1073741824",
            "1GiB, 1073741824",
            "1gib, 1073741824",
            "1GB, 1073741824",
            "2T, 2199023255552",
            "512B, 512",
            "' 16M ', 16777216",
    })
    void parsesPlainNumbersAndBinarySuffixes(String text, long bytes) {
        assertEquals(bytes, ByteSize.parse(text));
        assertEquals(bytes, new ByteSize().convert(text));
    }

    @ParameterizedTest
    @ValueSource(strings = {"-1", "-64K", "-1G"})
    void rejectsNegativeSizes(String text) {
        TypeConversionException e = assertThrows(TypeConversionException.class, () -> ByteSize.parse(text));
        assertTrue(e.getMessage().contains("negative"), e::getMessage);
    }

    @ParameterizedTest
    @ValueSource(strings = {"banana", "", "K", "GiB", "1.5G", "12X", "1 0M", "0x10", "9999999999T"})
    void rejectsGarbageAndOverflowWithAnExample(String text) {
        TypeConversionException e = assertThrows(TypeConversionException.class, () -> ByteSize.parse(text));
        assertTrue(e.getMessage().contains("not a size"), e::getMessage);
        assertTrue(e.getMessage().contains("256M"), e::getMessage);
    }

    @Test
    void formatsWholeAndFractionalBinaryUnits() {
        assertEquals("256 MiB", ByteSize.format(256L << 20));
        assertEquals("16 MiB", ByteSize.format(16L << 20));
        assertEquals("1.5 GiB", ByteSize.format(3L << 29));
        assertEquals("4 KiB", ByteSize.format(4096));
        assertEquals("512 B", ByteSize.format(512));
        assertEquals("0 B", ByteSize.format(0));
        assertEquals("2 TiB", ByteSize.format(2L << 40));
        assertEquals("2048 TiB", ByteSize.format(2L << 50));
    }

    @Test
    void formatThenParseRoundTripsWholeUnits() {
        for (long bytes : new long[] {4096, 64L << 10, 256L << 20, 1L << 30, 2L << 40}) {
            assertEquals(bytes, ByteSize.parse(ByteSize.format(bytes).replace(" ", "")));
        }
    }
}
