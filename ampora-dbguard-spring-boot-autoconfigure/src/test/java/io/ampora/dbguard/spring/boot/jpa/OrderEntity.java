package io.ampora.dbguard.spring.boot.jpa;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.GenerationType;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.util.UUID;

/** A row of the RLS-protected {@code orders} table; {@code tenant_id} is written by the database default. */
@Entity
@Table(name = "orders")
public class OrderEntity {

    @Id
    @GeneratedValue(strategy = GenerationType.IDENTITY)
    private Long id;

    @Column(name = "tenant_id", insertable = false, updatable = false)
    private UUID tenantId;

    @Column(nullable = false)
    private String item;

    /** For JPA. */
    protected OrderEntity() {
    }

    /** @param item the item */
    public OrderEntity(String item) {
        this.item = item;
    }

    /** @return the id */
    public Long getId() {
        return id;
    }

    /** @return the tenant the database wrote the row with */
    public UUID getTenantId() {
        return tenantId;
    }

    /** @return the item */
    public String getItem() {
        return item;
    }
}
