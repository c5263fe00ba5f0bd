package org.postcopysim.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class SocketErrorsTest {
    @Test
    void nativeCallErrnoAndAddressAreDropped() {
        assertEquals("Address already in use", SocketErrors.describe("bind(..) failed with error(-98): Address already in use"));
        assertEquals("Connection refused",
                SocketErrors.describe("finishConnect(..) failed with error(-111): Connection refused: /127.0.0.1:1"));
        assertEquals("Connection refused", SocketErrors.describe("Connection refused: localhost/127.0.0.1:7070"));
        assertEquals("Address already in use", SocketErrors.describe("Address already in use"));
        assertEquals("Cannot assign requested address", SocketErrors.describe("bind(..) failed: Cannot assign requested address"));
    }
}
