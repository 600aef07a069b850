public import Foundation
internal import GRDB
public import RelayCore
internal import Wire

extension SQLiteStore: AttachmentStore {
  public func createAttachment(_ record: AttachmentRecord, quotaBytes: Int64, nowMs: Int64) async throws {
    try await self.write("creating an attachment") { db in
      if let uploader = record.uploader {
        let used =
          try Int64.fetchOne(
            db,
            sql: "SELECT coalesce(sum(size), 0) FROM attachments WHERE uploader_user = ? AND expires_at_ms > ?",
            arguments: [uploader.user.description, nowMs]) ?? 0
        try AttachmentRecord.checkQuota(used: used, adding: record.size, quota: quotaBytes)
      }
      try db.execute(
        sql: """
          INSERT INTO attachments (domain, key, uploader_user, uploader_device, size, committed, expires_at_ms)
          VALUES (?, ?, ?, ?, ?, ?, ?)
          """,
        arguments: [
          record.id.domain, record.id.key, record.uploader?.user.description, record.uploader?.deviceID, record.size,
          record.committed, record.expiresAtMs,
        ])
    }
  }

  public func attachment(_ id: AttachmentID, nowMs: Int64) async throws -> AttachmentRecord? {
    try await self.read("reading an attachment") { db in
      try Self.attachmentRecord(db, id).flatMap { $0.expiresAtMs > nowMs ? $0 : nil }
    }
  }

  public func appendAttachment(_ id: AttachmentID, offset: Int64, _ data: Data) async throws -> AttachmentRecord {
    guard let record = try await self.read("reading an attachment", { db in try Self.attachmentRecord(db, id) }) else {
      throw RelayError(.notFound, "no such attachment")
    }
    try record.checkAppend(offset: offset, count: data.count)
    let committed = offset + Int64(data.count)
    // The bytes are durable before the row counts them.
    try self.attachments.write(id, offset: offset, data, completes: committed == record.size)
    return try await self.write("recording an attachment's chunk") { db in
      try db.execute(
        sql: "UPDATE attachments SET committed = ? WHERE domain = ? AND key = ? AND committed = ?",
        arguments: [committed, id.domain, id.key, offset])
      guard db.changesCount == 1 else {
        throw RelayError(.aborted, "another chunk of this attachment was written meanwhile")
      }
      var written = record
      written.committed = committed
      return written
    }
  }

  public func readAttachment(_ id: AttachmentID, offset: Int64, length: Int) async throws -> Data {
    guard let record = try await self.read("reading an attachment", { db in try Self.attachmentRecord(db, id) }) else {
      throw RelayError(.notFound, "no such attachment")
    }
    try record.checkRead(offset: offset)
    return try self.attachments.read(id, offset: offset, length: length)
  }

  public func sweepAttachments(nowMs: Int64, limit: Int) async throws -> Int {
    let expired = try await self.write("sweeping attachments") { db in
      let rows = try Row.fetchAll(
        db, sql: "SELECT domain, key FROM attachments WHERE expires_at_ms <= ? LIMIT ?", arguments: [nowMs, limit])
      let ids = rows.map { AttachmentID.stored(key: $0[1], domain: $0[0]) }
      let delete = try db.cachedStatement(sql: "DELETE FROM attachments WHERE domain = ? AND key = ?")
      for id in ids { try delete.execute(arguments: [id.domain, id.key]) }
      return ids
    }
    // The rows go first: a file without a row is never served, and is removed here.
    for id in expired { self.attachments.remove(id) }
    return expired.count
  }

  private static func attachmentRecord(_ db: Database, _ id: AttachmentID) throws -> AttachmentRecord? {
    try Row.fetchOne(
      db,
      sql: """
        SELECT uploader_user, uploader_device, size, committed, expires_at_ms FROM attachments
        WHERE domain = ? AND key = ?
        """,
      arguments: [id.domain, id.key]
    ).map { row in
      let user: String? = row[0]
      let device: String? = row[1]
      return AttachmentRecord(
        id: id,
        uploader: try user.flatMap { user in try device.map { try DeviceAddress.stored(user: user, device: $0) } },
        size: row[2], committed: row[3], expiresAtMs: row[4])
    }
  }
}
