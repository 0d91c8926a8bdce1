package io.ampora.dbguard.spring.boot.jpa;

import io.ampora.dbguard.spring.boot.autoconfigure.TenantResolver;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.annotation.Bean;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * The JPA flavour of the test application: the same RLS-protected {@code orders} table as an entity, a Spring Data
 * repository and {@code @Transactional} services on Boot's JpaTransactionManager (Hibernate, the version Boot
 * manages).
 */
@SpringBootApplication
public class JpaOrdersApplication {

    /** The header this test application trusts; a real one takes the tenant from its verified principal. */
    public static final String TENANT_HEADER = "X-Test-Tenant";

    /** @return the test's resolver */
    @Bean
    TenantResolver tenantResolver() {
        return request -> Optional.ofNullable(request.getHeader(TENANT_HEADER));
    }

    /** The tenant-scoped endpoints. */
    @RestController
    public static class OrdersController {
        private final OrderService orders;

        OrdersController(OrderService orders) {
            this.orders = orders;
        }

        /** @return the tenants whose rows this request saw */
        @GetMapping("/orders")
        public List<String> list() {
            return orders.tenantsSeen();
        }

        /**
         * @param item the item
         * @return the row's id and the tenant it was written with
         */
        @PostMapping("/orders")
        public Map<String, String> add(@RequestParam("item") String item) {
            OrderEntity row = orders.add(item);
            return Map.of("id", String.valueOf(row.getId()), "tenant", row.getTenantId().toString());
        }

        /**
         * Reads an entity's field after the service's transaction ended: the lazy load runs outside any
         * transaction (open-in-view keeps the EntityManager, and its connection, for the whole request).
         *
         * @param id the order
         * @return its item
         */
        @GetMapping("/orders/{id}/item")
        public String itemLoadedAfterTheTransaction(@PathVariable("id") long id) {
            return orders.reference(id).getItem();
        }
    }
}
