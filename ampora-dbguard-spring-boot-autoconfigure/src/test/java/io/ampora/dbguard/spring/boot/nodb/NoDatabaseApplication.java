package io.ampora.dbguard.spring.boot.nodb;

import org.springframework.boot.autoconfigure.SpringBootApplication;

/** An application with the starter on its classpath and no DataSource bean (a service without a database). */
@SpringBootApplication
public class NoDatabaseApplication {
}
