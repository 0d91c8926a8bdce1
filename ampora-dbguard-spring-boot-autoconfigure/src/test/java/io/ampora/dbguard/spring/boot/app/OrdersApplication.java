package io.ampora.dbguard.spring.boot.app;

import io.ampora.dbguard.spring.boot.autoconfigure.TenantResolver;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import javax.sql.DataSource;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.annotation.Bean;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * The application the starter's tests start: one RLS-protected table written and read through
 * {@code @Transactional}, and a controller that leaks a connection.
 */
@SpringBootApplication
public class OrdersApplication {

    /** The header this test application trusts; a real one takes the tenant from its verified principal. */
    public static final String TENANT_HEADER = "X-Test-Tenant";

    /** @return the test's resolver */
    @Bean
    TenantResolver tenantResolver() {
        return request -> Optional.ofNullable(request.getHeader(TENANT_HEADER));
    }

    /** Orders of the current tenant. */
    @Service
    public static class OrderService {
        private final JdbcTemplate jdbc;

        OrderService(JdbcTemplate jdbc) {
            this.jdbc = jdbc;
        }

        /** @return the distinct tenant ids of the orders this transaction sees (one foreign row shows up) */
        @Transactional(readOnly = true)
        public List<String> tenantsSeen() {
            return jdbc.queryForList("SELECT DISTINCT tenant_id::text FROM orders", String.class);
        }

        /**
         * @param item what to insert
         * @return the tenant id the row was written with
         */
        @Transactional
        public String add(String item) {
            return jdbc.queryForObject("INSERT INTO orders (item) VALUES (?) RETURNING tenant_id::text", String.class, item);
        }
    }

    /** The tenant-scoped endpoint. */
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
         * @return the tenant the row was written with
         */
        @PostMapping("/orders")
        public Map<String, String> add(@RequestParam("item") String item) {
            return Map.of("tenant", orders.add(item));
        }
    }

    /** A controller with the classic bug: a connection borrowed and never closed. */
    @RestController
    public static class LeakyController {
        private final DataSource dataSource;
        private static final List<Connection> HELD = new java.util.concurrent.CopyOnWriteArrayList<>();

        LeakyController(DataSource dataSource) {
            this.dataSource = dataSource;
        }

        /**
         * @return "leaked"
         * @throws SQLException never in the test
         */
        @GetMapping("/leak")
        public String leakConnection() throws SQLException {
            Connection c = dataSource.getConnection();
            HELD.add(c); // held, never closed
            return "leaked";
        }

        /** Closes what {@link #leakConnection()} held, for the test's clean-up. */
        public static void releaseAll() {
            for (Connection c : HELD) {
                try {
                    c.close();
                } catch (SQLException e) {
                    // clean-up
                }
            }
            HELD.clear();
        }
    }
}
