-- Attachments (docs/attachments.md): ciphertext the relay cannot read. A
-- row per attachment; its bytes are a file of the data directory's
-- attachments/ folder, `<key>.part` while the upload runs (fsynced before
-- `committed` counts them) and `<key>` once complete (renamed after its
-- fsync, so a torn file is never served).
CREATE TABLE attachments (
  domain          TEXT NOT NULL,      -- the relay that stores the original (this one, or a peer: a fetched copy)
  key             TEXT NOT NULL,      -- 32 hex digits: the id is key@domain
  uploader_user   TEXT,               -- the uploading device (quota, writes); NULL for a fetched copy
  uploader_device TEXT,
  size            INTEGER NOT NULL,
  committed       INTEGER NOT NULL DEFAULT 0,  -- bytes stored durably
  expires_at_ms   INTEGER NOT NULL,
  PRIMARY KEY (domain, key)
) WITHOUT ROWID;
CREATE INDEX attachments_by_uploader ON attachments (uploader_user, expires_at_ms);
CREATE INDEX attachments_by_expiry ON attachments (expires_at_ms);
