package io.ampora.dbguard.spring.boot.twods;

import com.zaxxer.hikari.HikariDataSource;
import javax.sql.DataSource;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Conditional;
import org.springframework.context.annotation.ConditionContext;
import org.springframework.context.annotation.Primary;
import org.springframework.core.type.AnnotatedTypeMetadata;

/**
 * An application with two DataSource beans of its own ({@code orders} and {@code reports}, two databases);
 * {@code test.primary=orders} marks the orders one {@code @Primary}, otherwise neither is.
 */
@SpringBootApplication
public class TwoDataSourcesApplication {

    static HikariDataSource pool(String url, String user, String password) {
        HikariDataSource ds = new HikariDataSource();
        ds.setJdbcUrl(url);
        ds.setUsername(user);
        ds.setPassword(password);
        ds.setMaximumPoolSize(2);
        return ds;
    }

    /** @return the orders database, primary */
    @Bean
    @Primary
    @Conditional(OrdersPrimary.class)
    DataSource ordersDataSource(@Value("${test.orders.url}") String url, @Value("${test.user}") String user,
                                @Value("${test.password}") String password) {
        return pool(url, user, password);
    }

    /** @return the orders database, not primary */
    @Bean(name = "ordersDataSource")
    @Conditional(NoPrimary.class)
    DataSource ordersDataSourceNotPrimary(@Value("${test.orders.url}") String url, @Value("${test.user}") String user,
                                          @Value("${test.password}") String password) {
        return pool(url, user, password);
    }

    /** @return the reports database */
    @Bean
    DataSource reportsDataSource(@Value("${test.reports.url}") String url, @Value("${test.user}") String user,
                                 @Value("${test.password}") String password) {
        return pool(url, user, password);
    }

    static final class OrdersPrimary implements org.springframework.context.annotation.Condition {
        @Override
        public boolean matches(ConditionContext context, AnnotatedTypeMetadata metadata) {
            return "orders".equals(context.getEnvironment().getProperty("test.primary"));
        }
    }

    static final class NoPrimary implements org.springframework.context.annotation.Condition {
        @Override
        public boolean matches(ConditionContext context, AnnotatedTypeMetadata metadata) {
            return !"orders".equals(context.getEnvironment().getProperty("test.primary"));
        }
    }
}
