-- Several processes may fire the same digest slot (shards across processes, issue 11). The one
-- that posts holds a lease on the slot's row; a lease past lease_until, its holder dead, can be taken.
ALTER TABLE digests ADD COLUMN lease_owner TEXT;
ALTER TABLE digests ADD COLUMN lease_until REAL;
