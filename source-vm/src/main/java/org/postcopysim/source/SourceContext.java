package org.postcopysim.source;

/** What every connection's handler shares: configuration, the guest, the migration slot and the meters. */
record SourceContext(SourceConfig config, SourceGuest guest, Migrations migrations, SourceMetrics metrics) {}
