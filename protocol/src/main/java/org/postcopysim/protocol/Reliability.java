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
 */
public record Reliability(boolean reconnect, Duration recoveryDeadline, Duration stallTimeout, String chaos,
                          long chaosSeed, TlsFiles tls) {
    public static final Duration DEFAULT_RECOVERY_DEADLINE = Duration.ofSeconds(60);
    public static final Duration DEFAULT_STALL_TIMEOUT = Duration.ofSeconds(10);
    /** Recovery on, 60 s deadline, 10 s stall watchdog, no chaos, no TLS. */
    public static final Reliability DEFAULT =
            new Reliability(true, DEFAULT_RECOVERY_DEADLINE, DEFAULT_STALL_TIMEOUT, null, 0, null);

    public Reliability {
        if (recoveryDeadline == null || recoveryDeadline.isNegative()) throw new IllegalArgumentException("recovery deadline must not be negative");
        if (stallTimeout == null || stallTimeout.isNegative() || stallTimeout.isZero()) throw new IllegalArgumentException("stall timeout must be positive");
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
        return new Reliability(on, recoveryDeadline, stallTimeout, chaos, chaosSeed, tls);
    }

    public Reliability withRecoveryDeadline(Duration d) {
        return new Reliability(reconnect, d, stallTimeout, chaos, chaosSeed, tls);
    }

    public Reliability withStallTimeout(Duration d) {
        return new Reliability(reconnect, recoveryDeadline, d, chaos, chaosSeed, tls);
    }

    public Reliability withChaos(String spec, long seed) {
        return new Reliability(reconnect, recoveryDeadline, stallTimeout, spec, seed, tls);
    }

    public Reliability withTls(TlsFiles files) {
        return new Reliability(reconnect, recoveryDeadline, stallTimeout, chaos, chaosSeed, files);
    }
}
