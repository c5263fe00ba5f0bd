package org.postcopysim.dest.qmp;

import com.fasterxml.jackson.annotation.JsonValue;

/**
 * The states of QEMU's migration status that the destination passes through, under QEMU's
 * names ({@link #qemuName()}, also their JSON form). A migration starts in {@link #SETUP}
 * (connecting, handshake, guest memory and the model built), is {@link #ACTIVE} while precopy
 * runs (the guest on the source, its pages arriving here; only with precopy), runs in
 * {@link #POSTCOPY_ACTIVE} once the vCPUs resume, and ends {@link #COMPLETED} (verified) or
 * {@link #FAILED}. A dropped link moves it to {@link #POSTCOPY_PAUSED}; each resume attempt is
 * {@link #POSTCOPY_RECOVER_SETUP} while the new connection is made and {@link #POSTCOPY_RECOVER}
 * once the destination has told the source which pages it holds, until the source acknowledges
 * and the new background connection is up (then postcopy-active again) or the attempt fails
 * (then paused again).
 */
public enum MigrationStatus {
    SETUP("setup"),
    ACTIVE("active"),
    POSTCOPY_ACTIVE("postcopy-active"),
    POSTCOPY_PAUSED("postcopy-paused"),
    POSTCOPY_RECOVER_SETUP("postcopy-recover-setup"),
    POSTCOPY_RECOVER("postcopy-recover"),
    COMPLETED("completed"),
    FAILED("failed");

    private final String qemuName;

    MigrationStatus(String qemuName) {
        this.qemuName = qemuName;
    }

    /** The name QEMU's query-migrate gives this state, e.g. {@code postcopy-active}. */
    @JsonValue
    public String qemuName() {
        return qemuName;
    }

    /** How a finished run ended: {@link #COMPLETED} for a verified migration, else {@link #FAILED}. */
    public static MigrationStatus ofFinished(boolean verified) {
        return verified ? COMPLETED : FAILED;
    }
}
