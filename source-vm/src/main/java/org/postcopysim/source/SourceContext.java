package org.postcopysim.source;

/**
 * What every connection's handler shares: configuration, the guest, the migration slot, the
 * meters and the bound on connections awaiting their Hello.
 */
record SourceContext(SourceConfig config, SourceGuest guest, Migrations migrations, SourceMetrics metrics,
                     Admission admission) {
    /** With the default bound on connections awaiting their Hello. */
    SourceContext(SourceConfig config, SourceGuest guest, Migrations migrations, SourceMetrics metrics) {
        this(config, guest, migrations, metrics, new Admission());
    }
}
