-- Attachments (docs/attachments.md): ciphertext the relay cannot read, in
-- chunk rows every node of the region serves. `committed` counts the bytes
-- of the chunks stored so far; a chunk and the new `committed` are written
-- in one transaction, under the attachment's row lock.
CREATE TABLE attachments (
  domain          text NOT NULL,      -- the relay that stores the original (this one, or a peer: a fetched copy)
  key             text NOT NULL,      -- 32 hex digits: the id is key@domain
  uploader_user   text,               -- the uploading device (quota, writes); NULL for a fetched copy
  uploader_device text,
  size            bigint NOT NULL,
  committed       bigint NOT NULL DEFAULT 0,
  expires_at_ms   bigint NOT NULL,
  PRIMARY KEY (domain, key)
);
CREATE INDEX attachments_by_uploader ON attachments (uploader_user, expires_at_ms);
CREATE INDEX attachments_by_expiry ON attachments (expires_at_ms);

CREATE TABLE attachment_chunks (
  domain   text NOT NULL,
  key      text NOT NULL,
  start    bigint NOT NULL,           -- the chunk's first byte in the attachment
  data     bytea NOT NULL,
  PRIMARY KEY (domain, key, start),
  FOREIGN KEY (domain, key) REFERENCES attachments (domain, key) ON DELETE CASCADE
);
