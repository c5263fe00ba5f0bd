package org.postcopysim.protocol;

import java.util.regex.Pattern;

/**
 * A socket error in the words a person reads: the native transport reports
 * "bind(..) failed with error(-98): Address already in use" or
 * "finishConnect(..) failed with error(-111): Connection refused: /10.0.0.1:7070"; the call, the
 * errno and the address (which the caller names already) are noise around "Address already in use".
 */
public final class SocketErrors {
    private static final Pattern NATIVE_CALL = Pattern.compile("^\\w+\\(\\.\\.\\) failed(?: with error\\(-?\\d+\\))?: ");
    private static final Pattern TRAILING_ADDRESS = Pattern.compile(": [\\w.-]*/[0-9a-fA-F.:%\\[\\]]+:\\d+$");

    private SocketErrors() {}

    /** {@code message} without a native call's prefix and a trailing ": host/ip:port". */
    public static String describe(String message) {
        String m = NATIVE_CALL.matcher(message).replaceFirst("");
        return TRAILING_ADDRESS.matcher(m).replaceFirst("");
    }
}
