package io.ampora.dbguard.hikari.internal;

import io.ampora.dbguard.internal.jdbc.LayeredConnection;
import java.lang.ref.PhantomReference;
import java.lang.ref.ReferenceQueue;
import java.sql.Connection;

/**
 * The unclosed-leak detection of one fully tracked borrow: a phantom reference to the layer's connection the
 * application got, enqueued when it became unreachable while its lease (record and generation) is still
 * active. It keeps HikariCP's proxy, to tell a connection closed behind the layer's back and to reclaim one.
 */
final class LeaseRef extends PhantomReference<LayeredConnection> {

    final LeaseSlot slot;
    final long generation;
    final Connection proxy;

    LeaseRef(LayeredConnection connection, LeaseSlot slot, long generation, Connection proxy,
             ReferenceQueue<LayeredConnection> queue) {
        super(connection, queue);
        this.slot = slot;
        this.generation = generation;
        this.proxy = proxy;
    }
}
