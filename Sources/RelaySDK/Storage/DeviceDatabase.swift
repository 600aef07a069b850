internal import Foundation
internal import GRDB

/// The device's state in one SQLite file (`device.sqlite` in the home
/// directory): its keys, its sessions, the devices it knows, its messages and
/// its mailbox cursor. A restart resumes exactly where the last run stopped.
struct DeviceDatabase: Sendable {
  let queue: DatabaseQueue

  init(home: String) throws(ClientError) {
    do {
      try FileManager.default.createDirectory(
        atPath: home, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
      self.queue = try DatabaseQueue(path: home + "/device.sqlite")
      chmod(home + "/device.sqlite", 0o600)
      try Self.migrator.migrate(self.queue)
    } catch {
      throw ClientError(.storage, "opening the device database in \(home) failed", cause: error)
    }
  }

  func read<T>(_ what: String, _ body: (Database) throws -> T) throws(ClientError) -> T {
    do { return try self.queue.read(body) } catch let error as ClientError { throw error } catch {
      throw ClientError(.storage, "reading \(what) failed", cause: error)
    }
  }

  func write<T>(_ what: String, _ body: (Database) throws -> T) throws(ClientError) -> T {
    do { return try self.queue.write(body) } catch let error as ClientError { throw error } catch {
      throw ClientError(.storage, "writing \(what) failed", cause: error)
    }
  }

  static var migrator: DatabaseMigrator {
    var migrator = DatabaseMigrator()
    migrator.registerMigration("1-device") { db in
      try db.execute(
        sql: """
          CREATE TABLE device (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            user TEXT NOT NULL, device_id TEXT NOT NULL,
            certificate_pem TEXT NOT NULL, private_key_pem TEXT NOT NULL,
            relay_host TEXT NOT NULL, relay_port INTEGER NOT NULL, relay_certificate_pem TEXT NOT NULL,
            identity_signing BLOB NOT NULL, identity_agreement BLOB NOT NULL,
            signed_prekey_id INTEGER NOT NULL, signed_prekey BLOB NOT NULL, signed_prekey_signature BLOB NOT NULL,
            last_resort_kem_id INTEGER NOT NULL,
            next_prekey_id INTEGER NOT NULL,
            registered INTEGER NOT NULL DEFAULT 0,
            cursor INTEGER NOT NULL DEFAULT 0
          );
          CREATE TABLE one_time_prekeys (id INTEGER PRIMARY KEY, private_key BLOB NOT NULL);
          CREATE TABLE kem_prekeys (
            id INTEGER PRIMARY KEY, seed BLOB NOT NULL, signature BLOB NOT NULL, last_resort INTEGER NOT NULL
          );
          CREATE TABLE sessions (device TEXT PRIMARY KEY, state BLOB NOT NULL);
          CREATE TABLE known_devices (
            user TEXT NOT NULL, device TEXT NOT NULL, signing_key BLOB NOT NULL, agreement_key BLOB NOT NULL,
            PRIMARY KEY (user, device)
          );
          CREATE TABLE messages (
            message_id TEXT PRIMARY KEY, conversation_id TEXT NOT NULL, sender TEXT NOT NULL,
            text TEXT NOT NULL, sent_at_ms INTEGER NOT NULL, seq INTEGER NOT NULL,
            outgoing INTEGER NOT NULL, status INTEGER NOT NULL, stored_at INTEGER NOT NULL
          );
          CREATE INDEX messages_by_conversation ON messages (conversation_id, seq);
          """)
    }
    migrator.registerMigration("2-display-order") { db in
      try db.execute(
        sql: """
          ALTER TABLE messages ADD COLUMN hlc INTEGER NOT NULL DEFAULT 0;
          ALTER TABLE messages ADD COLUMN origin_relay TEXT NOT NULL DEFAULT '';
          ALTER TABLE messages ADD COLUMN origin_seq INTEGER NOT NULL DEFAULT 0;
          CREATE INDEX messages_in_display_order ON messages (conversation_id, hlc, origin_relay, origin_seq);
          """)
    }
    migrator.registerMigration("3-attachments") { db in
      // The message's AttachmentPointer (protobuf), when it carries a file.
      try db.execute(sql: "ALTER TABLE messages ADD COLUMN attachment BLOB")
    }
    return migrator
  }
}
