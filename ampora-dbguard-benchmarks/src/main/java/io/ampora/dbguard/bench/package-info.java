/**
 * JMH benchmarks and measured runs of the library: pool tracking overhead, tenant binding cost, catalog
 * checks at scale. Build with {@code mvn -B -pl ampora-dbguard-benchmarks -am package -DskipTests} and run
 * {@code java -jar ampora-dbguard-benchmarks/target/benchmarks.jar}.
 */
package io.ampora.dbguard.bench;
