package org.postcopysim.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.postcopysim.protocol.Reliability;
import org.postcopysim.protocol.Tls;
import picocli.CommandLine;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

/** {@code --tls-cert --tls-key --tls-ca}: mutual TLS on every connection, all three or none. */
public final class TlsOptions {
    @Option(names = "--tls-cert", paramLabel = "FILE",
            description = "Mutual TLS: this side's certificate chain (PEM). Needs --tls-key and --tls-ca too.")
    Path certificate;

    @Option(names = "--tls-key", paramLabel = "FILE",
            description = "Mutual TLS: this side's private key (PEM, PKCS#8).")
    Path privateKey;

    @Option(names = "--tls-ca", paramLabel = "FILE",
            description = "Mutual TLS: the CA (PEM) that signs the peer's certificate; no other CA is trusted. "
                    + "The source's certificate must name the host the destination connects to.")
    Path trustedCa;

    /**
     * The files, or null when no TLS option was given. Partial options, an unreadable file or a
     * file that is not PEM are usage errors (exit 2) before anything starts.
     */
    Reliability.TlsFiles resolve(CommandLine cl) {
        if (certificate == null && privateKey == null && trustedCa == null) return null;
        List<String> missing = new ArrayList<>();
        if (certificate == null) missing.add("--tls-cert");
        if (privateKey == null) missing.add("--tls-key");
        if (trustedCa == null) missing.add("--tls-ca");
        if (!missing.isEmpty()) {
            throw new ParameterException(cl, "TLS needs all of --tls-cert, --tls-key and --tls-ca; missing "
                    + String.join(", ", missing));
        }
        Reliability.TlsFiles files = new Reliability.TlsFiles(certificate, privateKey, trustedCa);
        OptionCheck.check(cl, "--tls-cert", () -> Tls.check(files));
        return files;
    }

    /** The options again, for a child process (none when TLS is off). */
    List<String> asArgs() {
        if (certificate == null) return List.of();
        return List.of("--tls-cert", certificate.toAbsolutePath().toString(), "--tls-key", privateKey.toAbsolutePath().toString(),
                "--tls-ca", trustedCa.toAbsolutePath().toString());
    }
}
