package io.ampora.dbguard.spring.boot.jpa;

import java.util.List;
import java.util.UUID;
import org.springframework.data.jpa.repository.JpaRepository;
import org.springframework.data.jpa.repository.Query;

/** Spring Data repository of the orders. */
public interface OrderRepository extends JpaRepository<OrderEntity, Long> {

    /** @return the distinct tenant ids of the orders the current transaction sees */
    @Query("select distinct o.tenantId from OrderEntity o")
    List<UUID> tenantIds();
}
