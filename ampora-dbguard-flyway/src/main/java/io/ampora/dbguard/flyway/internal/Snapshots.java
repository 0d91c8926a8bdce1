package io.ampora.dbguard.flyway.internal;

import com.fasterxml.jackson.databind.ObjectMapper;

/** Anchor for the snapshot SQL and the shared JSON mapper. */
public final class Snapshots {

    /** The mapper snapshots are read and written with. */
    public static final ObjectMapper MAPPER = new ObjectMapper();

    private Snapshots() {
    }
}
