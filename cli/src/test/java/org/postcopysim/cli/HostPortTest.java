package org.postcopysim.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine.TypeConversionException;

class HostPortTest {

    @Test
    void parsesHostAndPort() {
        assertEquals(new HostPort("example.org", 7070), HostPort.parse("example.org:7070", "127.0.0.1"));
        assertEquals(new HostPort("10.0.0.1", 0), HostPort.parse("10.0.0.1:0", "127.0.0.1"));
    }

    @Test
    void parsesBracketedIpv6() {
        assertEquals(new HostPort("::1", 7070), HostPort.parse("[::1]:7070", "127.0.0.1"));
        assertEquals(new HostPort("fe80::1", 65535), HostPort.parse("[fe80::1]:65535", "127.0.0.1"));
    }

    @Test
    void emptyHostMeansTheDefaultHost() {
        assertEquals(new HostPort("127.0.0.1", 7070), HostPort.parse(":7070", "127.0.0.1"));
        assertEquals(new HostPort("127.0.0.1", 7070), new HostPort.Converter().convert(":7070"));
        assertEquals(new HostPort("0.0.0.0", 9), HostPort.parse(":9", "0.0.0.0"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"localhost", "host:", "host:port", "host:-1", "host:65536", "[::1]", "::1", "fe80::1:7070"})
    void rejectsMissingMalformedOrOutOfRangePortsAndUnbracketedIpv6(String text) {
        assertThrows(TypeConversionException.class, () -> HostPort.parse(text, "127.0.0.1"));
    }

    @Test
    void printsIpv6InBracketsSoThatTheOutputParsesBack() {
        assertEquals("[::1]:7070", new HostPort("::1", 7070).toString());
        assertEquals("127.0.0.1:7070", new HostPort("127.0.0.1", 7070).toString());
        for (HostPort hp : new HostPort[] {new HostPort("::1", 1), new HostPort("localhost", 80)}) {
            assertEquals(hp, HostPort.parse(hp.toString(), "x"));
        }
    }
}
