package org.postcopysim.cli;

import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** {@code host:port}, {@code [v6addr]:port} or {@code :port}. */
public record HostPort(String host, int port) {
    public static HostPort parse(String s, String defaultHost) {
        int colon = s.lastIndexOf(':');
        if (colon < 0) throw new TypeConversionException("expected HOST:PORT, got '" + s + "'");
        String host = s.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        } else if (host.indexOf(':') >= 0) {
            throw new TypeConversionException("an IPv6 address needs brackets, as in [::1]:7070; got '" + s + "'");
        }
        if (host.isEmpty()) host = defaultHost;
        int port;
        try {
            port = Integer.parseInt(s.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new TypeConversionException("port is not a number in '" + s + "'");
        }
        if (port < 0 || port > 65535) throw new TypeConversionException("port out of range in '" + s + "'");
        return new HostPort(host, port);
    }

    @Override
    public String toString() {
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
    }

    /** Picocli converter. */
    public static final class Converter implements ITypeConverter<HostPort> {
        @Override
        public HostPort convert(String value) {
            return parse(value, "127.0.0.1");
        }
    }
}
