-- 0005: the delivery gate's slots and throttle state are leases and
-- timestamps that only matter while nodes run: they need no WAL. An
-- unlogged table is not flushed at each commit (each delivery takes and
-- frees a slot) and is emptied by a crash of the database, which frees
-- every slot and resets every throttle; the gate makes missing slot rows
-- again (internal/delivery/pggate).

ALTER TABLE delivery_slots SET UNLOGGED;
ALTER TABLE delivery_throttle SET UNLOGGED;
