SELECT s.name, s.setting
FROM pg_catalog.pg_settings s
