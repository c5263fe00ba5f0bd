package org.postcopysim.protocol;

import java.nio.file.Path;
import java.time.Duration;

/**
 * How a side protects a migration: link-loss recovery, fault injection and TLS. Shared by the
 * source and the destination configuration.
 *
 * @param reconnect        the destination reconnects after a dropped link (postcopy recovery)
 * @param recoveryDeadline how long a side waits for the other to come back before giving up
 * @param stallTimeout     the destination's watchdog reports a vCPU blocked on one page longer than this
 * @param chaos            a fault-injection spec (see docs/reliability.md), or null for none
 * @param chaosSeed        seed of the fault injection's random choices
 * @param tls              certificate files for mutual TLS on every connection, or null for plain TCP
 * @param linkTimeout      a connection from which nothing arrived for this long counts as dropped
 *                         ({@link LinkLiveness}); zero turns the check and the keepalives off
 */
public record Reliability(boolean reconnect, Duration recoveryDeadline, Duration stallTimeout, String chaos,
                          long chaosSeed, TlsFiles tls, Duration linkTimeout) {
    public static final Duration DEFAULT_RECOVERY_DEADLINE = Duration.ofSeconds(60);
    public static final Duration DEFAULT_STALL_TIMEOUT = Duration.ofSeconds(10);
    public static final Duration DEFAULT_LINK_TIMEOUT = Duration.ofSeconds(10);
    /** Recovery on, 60 s deadline, 10 s stall watchdog, no chaos, no TLS, 10 s link timeout. */
    public static final Reliability DEFAULT =
            new Reliability(true, DEFAULT_RECOVERY_DEADLINE, DEFAULT_STALL_TIMEOUT, null, 0, null, DEFAULT_LINK_TIMEOUT);

    public Reliability {
        if (recoveryDeadline == null || recoveryDeadline.isNegative()) throw new IllegalArgumentException("recovery deadline must not be negative");
        if (stallTimeout == null || stallTimeout.isNegative() || stallTimeout.isZero()) throw new IllegalArgumentException("stall timeout must be positive");
        if (linkTimeout == null || linkTimeout.isNegative()) throw new IllegalArgumentException("link timeout must not be negative");
    }

    /** PEM files for mutual TLS: this side's certificate chain and key, and the CA that signs the peer's. */
    public record TlsFiles(Path certificate, Path privateKey, Path trustedCa) {
        public TlsFiles {
            if (certificate == null || privateKey == null || trustedCa == null) {
                throw new IllegalArgumentException("TLS needs a certificate, a private key and a CA (--tls-cert, --tls-key, --tls-ca)");
            }
        }
    }

    public Reliability withReconnect(boolean on) {
        return new Reliability(on, recoveryDeadline, stallTimeout, chaos, chaosSeed, tls, linkTimeout);
    }

    public Reliability withRecoveryDeadline(Duration d) {
        return new Reliability(reconnect, d, stallTimeout, chaos, chaosSeed, tls, linkTimeout);
    }

    public Reliability withStallTimeout(Duration d) {
        return new Reliability(reconnect, recoveryDeadline, d, chaos, chaosSeed, tls, linkTimeout);
    }

    public Reliability withChaos(String spec, long seed) {
        return new Reliability(reconnect, recoveryDeadline, stallTimeout, spec, seed, tls, linkTimeout);
    }

    public Reliability withTls(TlsFiles files) {
        return new Reliability(reconnect, recoveryDeadline, stallTimeout, chaos, chaosSeed, files, linkTimeout);
    }

    public Reliability withLinkTimeout(Duration d) {
        return new Reliability(reconnect, recoveryDeadline, stallTimeout, chaos, chaosSeed, tls, d);
    }

    /** The pipeline's liveness check for this configuration, or null when the link timeout is zero (off). */
    public LinkLiveness newLinkLiveness() {
        return linkTimeout.isZero() ? null : new LinkLiveness(linkTimeout.toNanos());
    }
}
