-- Blocks until the test releases its lock on gatekeeper.gate, so Flyway holds its advisory lock meanwhile.
SELECT count(*) FROM gatekeeper.gate;
