package org.postcopysim.protocol;

/** The protocol version this build speaks; a Hello with any other version ends the handshake. */
public final class ProtocolVersion {
    /** Version described by postcopy.proto. */
    public static final int CURRENT = 2;

    private ProtocolVersion() {}

    /** The text both sides log and send when versions differ. */
    public static String mismatch(int sourceVersion, int destinationVersion) {
        return "protocol version mismatch: source speaks " + Integer.toUnsignedString(sourceVersion) + ", destination speaks "
                + Integer.toUnsignedString(destinationVersion); // uint32 on the wire
    }
}
