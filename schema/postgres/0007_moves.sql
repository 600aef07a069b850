-- Regions of one domain (docs/regions.md, "Moving a user"). Every move this
-- region took part in: as the old home (source = this region: requested by
-- `relay users move`, then handed off), or as the new one (arrived).
CREATE TABLE moves (
  user_address    text NOT NULL,
  version         bigint NOT NULL,   -- the home version the move makes
  source          text NOT NULL,      -- region names
  target          text NOT NULL,
  phase           integer NOT NULL,   -- 1: requested, 2: handed off, 3: arrived, 4: failed
  requested_at_ms bigint NOT NULL,
  done_at_ms      bigint NOT NULL DEFAULT 0,
  failure         text NOT NULL DEFAULT '',
  PRIMARY KEY (user_address, version)
);
CREATE INDEX moves_by_phase ON moves (phase);

-- On the new home: per conversation and origin, the messages the old home
-- held for a moved user; a later copy of one of them for the user is dropped.
CREATE TABLE move_covers (
  user_address    text NOT NULL,
  conversation_id text NOT NULL,
  origin_relay    text NOT NULL,
  contiguous_seq  bigint NOT NULL,
  PRIMARY KEY (user_address, conversation_id, origin_relay)
);
