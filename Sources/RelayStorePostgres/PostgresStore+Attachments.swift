public import Foundation
internal import PostgresNIO
public import RelayCore
internal import Wire

extension PostgresStore: AttachmentStore {
  public func createAttachment(_ record: AttachmentRecord, quotaBytes: Int64, nowMs: Int64) async throws {
    let user = record.uploader?.user.description
    try await self.transaction("creating an attachment") { db in
      if let user {
        // Two nodes creating for one user at once: one sum at a time.
        try await db.run("SELECT pg_advisory_xact_lock(hashtextextended(\("attachments " + user), 0))")
        let used = try await db.rows(
          """
          SELECT coalesce(sum(size), 0)::bigint FROM attachments
          WHERE uploader_user = \(user) AND expires_at_ms > \(nowMs)
          """)[0].decode(Int64.self)
        try AttachmentRecord.checkQuota(used: used, adding: record.size, quota: quotaBytes)
      }
      try await db.run(
        """
        INSERT INTO attachments (domain, key, uploader_user, uploader_device, size, committed, expires_at_ms)
        VALUES (\(record.id.domain), \(record.id.key), \(user), \(record.uploader?.deviceID), \(record.size),
          \(record.committed), \(record.expiresAtMs))
        """)
    }
  }

  public func attachment(_ id: AttachmentID, nowMs: Int64) async throws -> AttachmentRecord? {
    try await self.read("reading an attachment") { db in
      try await Self.attachmentRecord(db, id, locking: false).flatMap { $0.expiresAtMs > nowMs ? $0 : nil }
    }
  }

  public func appendAttachment(_ id: AttachmentID, offset: Int64, _ data: Data) async throws -> AttachmentRecord {
    try await self.transaction("storing an attachment's chunk") { db in
      // The row lock makes a second writer, on any node, wait and then find its offset taken.
      guard var record = try await Self.attachmentRecord(db, id, locking: true) else {
        throw RelayError(.notFound, "no such attachment")
      }
      try record.checkAppend(offset: offset, count: data.count)
      record.committed = offset + Int64(data.count)
      try await db.run(
        "INSERT INTO attachment_chunks (domain, key, start, data) VALUES (\(id.domain), \(id.key), \(offset), \(data))")
      try await db.run(
        "UPDATE attachments SET committed = \(record.committed) WHERE domain = \(id.domain) AND key = \(id.key)")
      return record
    }
  }

  public func readAttachment(_ id: AttachmentID, offset: Int64, length: Int) async throws -> Data {
    try await self.read("reading an attachment") { db in
      guard let record = try await Self.attachmentRecord(db, id, locking: false) else {
        throw RelayError(.notFound, "no such attachment")
      }
      try record.checkRead(offset: offset)
      let end = offset + Int64(min(length, Int(record.size - offset)))
      // The chunks that overlap [offset, end), in order: the slice of each that falls inside.
      var result = Data()
      for row in try await db.rows(
        """
        SELECT start, data FROM attachment_chunks
        WHERE domain = \(id.domain) AND key = \(id.key) AND start < \(end) AND start + length(data) > \(offset)
        ORDER BY start
        """)
      {
        let (start, chunk) = try row.decode((Int64, Data).self)
        let from = Int(max(offset - start, 0))
        let to = Int(min(end - start, Int64(chunk.count)))
        result.append(chunk[chunk.startIndex + from ..< chunk.startIndex + to])
      }
      return result
    }
  }

  public func sweepAttachments(nowMs: Int64, limit: Int) async throws -> Int {
    try await self.transaction("sweeping attachments") { db in
      // Their chunks go with them (ON DELETE CASCADE).
      try await db.rows(
        """
        DELETE FROM attachments WHERE (domain, key) IN (
          SELECT domain, key FROM attachments WHERE expires_at_ms <= \(nowMs) LIMIT \(limit) FOR UPDATE SKIP LOCKED)
        RETURNING 1
        """
      ).count
    }
  }

  private static func attachmentRecord(
    _ db: PostgresConnection, _ id: AttachmentID, locking: Bool
  ) async throws -> AttachmentRecord? {
    let query: PostgresQuery =
      locking
      ? """
      SELECT uploader_user, uploader_device, size, committed, expires_at_ms FROM attachments
      WHERE domain = \(id.domain) AND key = \(id.key) FOR UPDATE
      """
      : """
      SELECT uploader_user, uploader_device, size, committed, expires_at_ms FROM attachments
      WHERE domain = \(id.domain) AND key = \(id.key)
      """
    return try await db.rows(query).first.map { row in
      let (user, device, size, committed, expires) = try row.decode((String?, String?, Int64, Int64, Int64).self)
      return AttachmentRecord(
        id: id,
        uploader: try user.flatMap { user in try device.map { try DeviceAddress.stored(user: user, device: $0) } },
        size: size, committed: committed, expiresAtMs: expires)
    }
  }
}
