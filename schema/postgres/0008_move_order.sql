-- Arrival order across a move (docs/regions.md, "Arrival order across a
-- move"). On the new home: the regions whose marker has not yet come through
-- the user's old home (this region among them). Until it comes, a copy for the
-- user of a message that entered the domain by that region is held out of the
-- mailboxes, in held_copies; then they enter them in the messages' clock order.
CREATE TABLE move_drains (
  user_address text NOT NULL,
  region       text NOT NULL,
  version      bigint NOT NULL,  -- the home version of the move
  PRIMARY KEY (user_address, region)
);

CREATE TABLE held_copies (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,  -- the order they came in (after the clock's)
  user_address    text NOT NULL,
  region          text NOT NULL,
  device_id       text NOT NULL,
  conversation_id text NOT NULL,
  seq             bigint NOT NULL
);
CREATE INDEX held_copies_by_drain ON held_copies (user_address, region, id);

-- Moves (docs/regions.md, "Moving a user"): on the new home, the first parts
-- of a transfer too large for one event, kept until its last part comes.
CREATE TABLE transfer_parts (
  user_address text NOT NULL,
  version      bigint NOT NULL,
  part         bigint NOT NULL,
  transfer     bytea NOT NULL,    -- the part, a serialized UserTransfer
  PRIMARY KEY (user_address, version, part)
);
