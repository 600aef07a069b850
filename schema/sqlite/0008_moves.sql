-- Regions of one domain (docs/regions.md, "Moving a user"). Every move this
-- region took part in: as the old home (source = this region: requested by
-- `relay users move`, then handed off), or as the new one (arrived).
CREATE TABLE moves (
  user_address    TEXT NOT NULL,
  version         INTEGER NOT NULL,   -- the home version the move makes
  source          TEXT NOT NULL,      -- region names
  target          TEXT NOT NULL,
  phase           INTEGER NOT NULL,   -- 1: requested, 2: handed off, 3: arrived, 4: failed
  requested_at_ms INTEGER NOT NULL,
  done_at_ms      INTEGER NOT NULL DEFAULT 0,
  failure         TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (user_address, version)
) WITHOUT ROWID;
CREATE INDEX moves_by_phase ON moves (phase);

-- On the new home: per conversation and origin, the messages the old home
-- held for a moved user; a later copy of one of them for the user is dropped.
CREATE TABLE move_covers (
  user_address    TEXT NOT NULL,
  conversation_id TEXT NOT NULL,
  origin_relay    TEXT NOT NULL,
  contiguous_seq  INTEGER NOT NULL,
  PRIMARY KEY (user_address, conversation_id, origin_relay)
) WITHOUT ROWID;
