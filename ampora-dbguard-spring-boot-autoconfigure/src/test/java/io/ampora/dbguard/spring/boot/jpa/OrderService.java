package io.ampora.dbguard.spring.boot.jpa;

import jakarta.persistence.EntityManager;
import jakarta.persistence.PersistenceContext;
import java.util.List;
import java.util.UUID;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

/** Orders of the current tenant, through JPA. */
@Service
public class OrderService {

    private final OrderRepository repository;

    @PersistenceContext
    private EntityManager entityManager;

    OrderService(OrderRepository repository) {
        this.repository = repository;
    }

    /** @return the distinct tenant ids of the orders this transaction sees (one foreign row shows up) */
    @Transactional(readOnly = true)
    public List<String> tenantsSeen() {
        return repository.tenantIds().stream().map(UUID::toString).toList();
    }

    /**
     * @param item what to insert
     * @return the row, re-read in the same transaction for the tenant id the database wrote
     */
    @Transactional
    public OrderEntity add(String item) {
        OrderEntity row = repository.saveAndFlush(new OrderEntity(item));
        entityManager.refresh(row);
        return row;
    }

    /**
     * @param id an order
     * @return an uninitialized reference: its fields load on first access, after this transaction
     */
    @Transactional(readOnly = true)
    public OrderEntity reference(long id) {
        return repository.getReferenceById(id);
    }
}
