package org.postcopysim.dest;

import java.io.IOException;
import java.io.StringWriter;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.concurrent.atomic.AtomicLong;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.util.io.pem.PemObject;
import org.postcopysim.protocol.Reliability;

/**
 * A throw-away PKI for the TLS tests: a CA, and leaf certificates it signs for the source (naming
 * 127.0.0.1 and localhost) and the destination, written as PEM files (PKCS#8 keys) to a directory.
 * EC P-256 keys: fast to generate.
 */
public final class TestPki {
    private static final AtomicLong SERIAL = new AtomicLong(1);

    private final String name;
    private final KeyPair caKeys;
    private final X509Certificate caCert;
    private final Path dir;

    private TestPki(String name, KeyPair caKeys, X509Certificate caCert, Path dir) {
        this.name = name;
        this.caKeys = caKeys;
        this.caCert = caCert;
        this.dir = dir;
    }

    /** A new CA called {@code name}; its certificate is written to {@code dir/name-ca.pem}. */
    public static TestPki create(String name, Path dir) throws Exception {
        KeyPair keys = newKeys();
        X500Name subject = new X500Name("CN=" + name + " test CA");
        X509v3CertificateBuilder b = builder(subject, subject, keys)
                .addExtension(Extension.basicConstraints, true, new BasicConstraints(true))
                .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
        X509Certificate ca = sign(b, keys);
        TestPki pki = new TestPki(name, keys, ca, dir);
        writePem(pki.caFile(), new PemObject("CERTIFICATE", ca.getEncoded()));
        return pki;
    }

    public Path caFile() {
        return dir.resolve(name + "-ca.pem");
    }

    /** A leaf certificate for {@code cn} signed by this CA, naming 127.0.0.1 and localhost; returns its files. */
    public Reliability.TlsFiles issue(String cn) throws Exception {
        KeyPair keys = newKeys();
        X509v3CertificateBuilder b = builder(new X500Name("CN=" + name + " test CA"), new X500Name("CN=" + cn), keys)
                .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
                .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyAgreement))
                .addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName[] {
                        new GeneralName(GeneralName.iPAddress, "127.0.0.1"),
                        new GeneralName(GeneralName.dNSName, "localhost")}));
        X509Certificate cert = sign(b, caKeys);
        Path certFile = dir.resolve(name + "-" + cn + ".pem");
        Path keyFile = dir.resolve(name + "-" + cn + ".key");
        writePem(certFile, new PemObject("CERTIFICATE", cert.getEncoded()));
        writePem(keyFile, new PemObject("PRIVATE KEY", keys.getPrivate().getEncoded())); // PKCS#8
        return new Reliability.TlsFiles(certFile, keyFile, caFile());
    }

    private static X509v3CertificateBuilder builder(X500Name issuer, X500Name subject, KeyPair keys) {
        Instant now = Instant.now();
        return new JcaX509v3CertificateBuilder(issuer, BigInteger.valueOf(SERIAL.getAndIncrement()),
                Date.from(now.minus(Duration.ofHours(1))), Date.from(now.plus(Duration.ofDays(1))), subject, keys.getPublic());
    }

    private static X509Certificate sign(X509v3CertificateBuilder b, KeyPair signer)
            throws OperatorCreationException, GeneralSecurityException {
        X509CertificateHolder holder = b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(signer.getPrivate()));
        return new JcaX509CertificateConverter().getCertificate(holder);
    }

    private static KeyPair newKeys() throws GeneralSecurityException {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"));
        return g.generateKeyPair();
    }

    private static void writePem(Path file, PemObject pem) throws IOException {
        StringWriter s = new StringWriter();
        try (JcaPEMWriter w = new JcaPEMWriter(s)) {
            w.writeObject(pem);
        }
        Files.writeString(file, s.toString());
    }
}
