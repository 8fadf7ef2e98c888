-- What the Facility object enforces from this row (status, event period) gets a
-- version that only grows, bumped by the trigger on every write to it, so no
-- code path can forget. A sync carries the version it read, and the object
-- ignores one older than what it holds: a push that lands after a later
-- change's push cannot put back the older status (src/directory/objects.ts).
ALTER TABLE facilities ADD COLUMN config_version INTEGER NOT NULL DEFAULT 0;

CREATE TRIGGER facilities_config_version AFTER UPDATE OF status, valid_from, valid_until ON facilities
FOR EACH ROW
BEGIN
  UPDATE facilities SET config_version = config_version + 1 WHERE id = NEW.id;
END;
