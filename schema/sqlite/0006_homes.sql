-- Regions of one domain (docs/regions.md): the directory of homes. One row
-- per user of the domain that any region of it claimed; the winning claim
-- (higher version, then lower claimed_hlc, then lower region) is kept.
-- Empty on a relay that is no region.
CREATE TABLE homes (
  user_address TEXT PRIMARY KEY,
  region       TEXT NOT NULL,
  claimed_hlc  INTEGER NOT NULL,   -- the claiming region's HLC, by its bit pattern
  version      INTEGER NOT NULL
) WITHOUT ROWID;
-- The users homed in a region: what anti-entropy with that region compares.
CREATE INDEX homes_by_region ON homes (region);
