package org.postcopysim.source;

/**
 * What every connection's handler shares: configuration, the guest, the migration slot, the
 * meters and the bound on connections awaiting their Hello.
 */
record SourceContext(SourceConfig config, SourceGuest guest, Migrations migrations, SourceMetrics metrics,
                     Admission admission, boolean capPerStreamBug) {
    /** With the default bound on connections awaiting their Hello. */
    SourceContext(SourceConfig config, SourceGuest guest, Migrations migrations, SourceMetrics metrics) {
        this(config, guest, migrations, metrics, new Admission(), false);
    }

    /** The negative control's broken source: each BACKGROUND stream gets the whole cap (tests only). */
    SourceContext withCapPerStreamBug() {
        return new SourceContext(config, guest, migrations, metrics, admission, true);
    }
}
