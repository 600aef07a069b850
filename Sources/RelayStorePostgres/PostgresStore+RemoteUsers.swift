internal import Foundation
internal import PostgresNIO
internal import RelayCore
public import Wire

extension PostgresStore {
  public func rememberRemoteDevices(of user: UserAddress, _ devices: [Relay_V1_DeviceInfo]) async throws {
    var list = Relay_V1_DeviceList()
    list.user = user.description
    list.devices = devices
    try await self.transaction("remembering a remote user's devices") { [list] db in
      try await Self.applyDeviceList(list, user: user, db)
    }
  }

  /// Conversations with a member `peer` homes (a user of its domain; for a
  /// region of this domain, a user the directory homes there).
  public func versionVector(origin peer: String) async throws -> [Relay_V1_VersionVectorEntry] {
    let region = RelayID.region(of: peer)
    return try await self.read("reading version vectors") { db in
      let entries = try await db.rows(
        """
        SELECT DISTINCT m.conversation_id, coalesce(v.contiguous_seq, 0) FROM members m
        LEFT JOIN version_vectors v ON v.conversation_id = m.conversation_id AND v.origin_relay = \(peer)
        WHERE CASE WHEN \(region)::text IS NULL THEN m.user_address LIKE '%@' || \(peer)
          ELSE m.user_address IN (SELECT user_address FROM homes WHERE region = \(region)::text) END
        """
      ).map { row in
        let (id, seq) = try row.decode((String, Int64).self)
        return VersionVector.entry(conversationID: id, contiguous: seq)
      }
      // Another domain, seen as one relay: how far each of its regions' origins is here.
      guard region == nil else { return entries }
      let origins = try await db.rows(
        "SELECT conversation_id, origin_relay, contiguous_seq FROM version_vectors WHERE origin_relay LIKE \(peer) || '#%'"
      ).map { row in
        let (id, origin, seq) = try row.decode((String, String, Int64).self)
        return (conversationID: id, origin: origin, contiguous: seq)
      }
      return VersionVector.withOrigins(entries, origins)
    }
  }

  public func requeue(
    for peer: String, localDomain: String, asGateway: Bool, after vector: [Relay_V1_VersionVectorEntry]
  ) async throws -> Int {
    let region = RelayID.region(of: peer)
    return try await self.transaction("queueing messages again") { db in
      var queued = 0
      for entry in vector {
        // Only conversations the peer's users are in, and only this relay's own messages.
        guard
          try await !db.rows(
            """
            SELECT 1 FROM members WHERE conversation_id = \(entry.conversationID)
              AND CASE WHEN \(region)::text IS NULL THEN user_address LIKE '%@' || \(peer)
                ELSE user_address IN (SELECT user_address FROM homes WHERE region = \(region)::text) END
            LIMIT 1
            """
          ).isEmpty
        else { continue }
        var origins = [localDomain]
        if asGateway && !entry.origins.isEmpty {
          // The gateway region answers for its domain's other regions too: what passed through it.
          origins += try await db.rows(
            """
            SELECT origin_relay FROM version_vectors
            WHERE conversation_id = \(entry.conversationID)
              AND origin_relay LIKE \(String(RelayID.domain(of: localDomain))) || '#%' AND origin_relay <> \(localDomain)
            """
          ).map { try $0.decode(String.self) }
        }
        for origin in origins {
          queued += try await Self.requeue(entry, origin: origin, for: peer, region: region, db)
        }
      }
      return queued
    }
  }

  /// Queues again for `peer` the messages of `origin` in `entry`'s conversation past what `entry` holds of it.
  private static func requeue(
    _ entry: Relay_V1_VersionVectorEntry, origin: String, for peer: String, region: String?, _ db: PostgresConnection
  ) async throws -> Int {
    let after = try VersionVector.held(entry, of: origin)
    let messages = try await db.rows(
      """
      SELECT \(unescaped: CommittedMessage.columns) FROM messages
      WHERE conversation_id = \(entry.conversationID) AND origin_relay = \(origin) AND origin_seq > \(after)
      ORDER BY origin_seq
      """
    ).map(CommittedMessage.init(row:))
    for message in messages {
      let copies = try await db.rows(
        """
        SELECT recipient_user, recipient_device, ciphertext FROM copies
        WHERE conversation_id = \(message.conversationID) AND seq = \(message.seq)
          AND CASE WHEN \(region)::text IS NULL THEN recipient_user LIKE '%@' || \(peer)
            ELSE recipient_user IN (SELECT user_address FROM homes WHERE region = \(region)::text) END
        """
      ).map { row in
        let (user, device, ciphertext) = try row.decode((String, String, Data).self)
        return (user: user, device: device, ciphertext: ciphertext)
      }
      try await Self.enqueue(message.replicated(copies: copies), for: peer, db)
    }
    return messages.count
  }
}
