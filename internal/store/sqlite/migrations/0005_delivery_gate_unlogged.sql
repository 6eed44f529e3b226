-- 0005: PostgreSQL makes the delivery gate's tables unlogged. SQLite has no
-- unlogged tables, and a single SQLite node keeps these limits in memory;
-- the version exists so both backends number their schema alike.

SELECT 1;
