-- Push wake-ups (docs/push.md). A device's endpoint, and the state of its
-- wake-ups. The queue itself is the device's mailbox: a device is due a
-- wake-up while its mailbox head is past both its acknowledged cursor and
-- the head its last wake-up covered, so a wake-up is as durable as the
-- mailbox entry that calls for it and costs the send path nothing.
CREATE TABLE push_endpoints (
  user_address   TEXT NOT NULL,
  device_id      TEXT NOT NULL,
  kind           INTEGER NOT NULL,            -- relay.v1.PushKind
  token          TEXT NOT NULL,
  secret         BLOB NOT NULL,               -- empty: wake-ups are not signed
  pushed_head    INTEGER NOT NULL DEFAULT 0,  -- the mailbox head the last wake-up the gateway took covered
  next_at_ms     INTEGER NOT NULL DEFAULT 0,  -- no wake-up before this (the interval, or a retry's backoff)
  attempts       INTEGER NOT NULL DEFAULT 0,  -- failed calls since the last success
  lease_until_ms INTEGER NOT NULL DEFAULT 0,  -- a node is calling the gateway for this device until then
  PRIMARY KEY (user_address, device_id),
  FOREIGN KEY (user_address, device_id) REFERENCES devices(user_address, device_id) ON DELETE CASCADE
) WITHOUT ROWID;
