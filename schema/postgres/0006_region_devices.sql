-- Regions of one domain (docs/regions.md): the key fingerprints of the
-- devices of users homed in other regions of the domain, as their home last
-- described them, so that a device connecting here can be told where its
-- home is.
CREATE TABLE region_devices (
  fingerprint  bytea PRIMARY KEY,
  user_address text NOT NULL
);
CREATE INDEX region_devices_by_user ON region_devices (user_address);

-- The other regions this one has sent its whole directory (the claims and
-- device keys of the users homed here) once: a region added later, or a
-- relay that became a region, gets it on its first link.
CREATE TABLE region_syncs (
  peer         text PRIMARY KEY,
  synced_at_ms bigint NOT NULL
);
