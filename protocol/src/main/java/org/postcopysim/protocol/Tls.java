package org.postcopysim.protocol;

import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import javax.net.ssl.SSLException;

/**
 * Mutual TLS for every connection of a migration, from PEM files ({@link Reliability.TlsFiles}):
 * each side presents its certificate chain and trusts only the given CA, and the source requires
 * a client certificate. The destination also checks that the source's certificate names the host
 * it connects to (a DNS or IP subject alternative name). Build a context once per process and
 * put {@code context.newHandler(...)} first in each pipeline.
 */
public final class Tls {
    /** TLS versions offered: 1.3 only (both sides are this program). */
    static final String[] PROTOCOLS = {"TLSv1.3"};

    private Tls() {}

    /** The source's context: its certificate and key, client certificates required and checked against the CA. */
    public static SslContext serverContext(Reliability.TlsFiles files) {
        check(files);
        try {
            return SslContextBuilder.forServer(files.certificate().toFile(), files.privateKey().toFile())
                    .trustManager(files.trustedCa().toFile())
                    .clientAuth(ClientAuth.REQUIRE)
                    .protocols(PROTOCOLS)
                    .build();
        } catch (SSLException | RuntimeException e) {
            throw unusable(files, e);
        }
    }

    /** The destination's context: its certificate and key, the source's checked against the CA and the host name. */
    public static SslContext clientContext(Reliability.TlsFiles files) {
        check(files);
        try {
            return SslContextBuilder.forClient()
                    .keyManager(files.certificate().toFile(), files.privateKey().toFile())
                    .trustManager(files.trustedCa().toFile())
                    .endpointIdentificationAlgorithm("HTTPS")
                    .protocols(PROTOCOLS)
                    .build();
        } catch (SSLException | RuntimeException e) {
            throw unusable(files, e);
        }
    }

    /**
     * Checks without building a context that the files are readable PEM: at least one
     * certificate in the chain and in the CA file, a PKCS#8 private key.
     *
     * @throws IllegalArgumentException naming the file and what is wrong with it
     */
    public static void check(Reliability.TlsFiles files) {
        certificates(files.certificate(), "certificate");
        certificates(files.trustedCa(), "CA");
        String key = read(files.privateKey(), "private key");
        if (!key.contains("-----BEGIN PRIVATE KEY-----") && !key.contains("-----BEGIN ENCRYPTED PRIVATE KEY-----")) {
            throw new IllegalArgumentException("private key " + files.privateKey()
                    + " is not a PEM PKCS#8 key (-----BEGIN PRIVATE KEY-----)");
        }
    }

    private static void certificates(Path file, String what) {
        read(file, what);
        try (InputStream in = Files.newInputStream(file)) {
            if (CertificateFactory.getInstance("X.509").generateCertificates(in).isEmpty()) {
                throw new IllegalArgumentException(what + " file " + file + " holds no certificate");
            }
        } catch (IOException | CertificateException e) {
            throw new IllegalArgumentException(what + " file " + file + " is not a PEM certificate: " + e.getMessage(), e);
        }
    }

    private static String read(Path file, String what) {
        try {
            return Files.readString(file, StandardCharsets.US_ASCII);
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("cannot read the " + what + " file " + file + ": no such file", e);
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException("cannot read the " + what + " file " + file + ": " + e.getMessage(), e);
        }
    }

    private static IllegalArgumentException unusable(Reliability.TlsFiles files, Exception e) {
        return new IllegalArgumentException("cannot set up TLS from certificate " + files.certificate() + ", key "
                + files.privateKey() + " and CA " + files.trustedCa() + ": " + e.getMessage(), e);
    }
}
