package org.postcopysim.cli;

import org.postcopysim.protocol.ProtocolVersion;
import org.postcopysim.protocol.Transport;
import picocli.CommandLine.IVersionProvider;

/** Prints the build version, protocol version and transport. */
public final class VersionProvider implements IVersionProvider {
    @Override
    public String[] getVersion() {
        String v = VersionProvider.class.getPackage().getImplementationVersion();
        return new String[] {
            "postcopy-sim " + (v == null ? "development build" : v),
            "protocol version " + ProtocolVersion.CURRENT + ", transport " + Transport.name()
                    + ", Java " + System.getProperty("java.version")
        };
    }
}
