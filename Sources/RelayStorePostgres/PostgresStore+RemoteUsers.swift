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

  public func versionVector(origin peer: String) async throws -> [Relay_V1_VersionVectorEntry] {
    try await self.read("reading version vectors") { db in
      try await db.rows(
        """
        SELECT DISTINCT m.conversation_id, coalesce(v.contiguous_seq, 0) FROM members m
        LEFT JOIN version_vectors v ON v.conversation_id = m.conversation_id AND v.origin_relay = \(peer)
        WHERE m.user_address LIKE '%@' || \(peer)
        """
      ).map { row in
        let (id, seq) = try row.decode((String, Int64).self)
        var entry = Relay_V1_VersionVectorEntry()
        entry.conversationID = id
        entry.contiguousOriginSeq = UInt64(seq)
        return entry
      }
    }
  }

  public func requeue(
    for peer: String, localDomain: String, after vector: [Relay_V1_VersionVectorEntry]
  ) async throws -> Int {
    try await self.transaction("queueing messages again") { db in
      var queued = 0
      for entry in vector {
        // Only conversations the peer's users are in, and only this relay's own messages.
        guard
          try await !db.rows(
            """
            SELECT 1 FROM members WHERE conversation_id = \(entry.conversationID)
              AND user_address LIKE '%@' || \(peer) LIMIT 1
            """
          ).isEmpty
        else { continue }
        let after = try Int64(wire: entry.contiguousOriginSeq, field: "contiguous_origin_seq")
        let messages = try await db.rows(
          """
          SELECT seq, message_id, sender_user, sender_device, hlc, origin_seq, sent_at_ms FROM messages
          WHERE conversation_id = \(entry.conversationID) AND origin_relay = \(localDomain)
            AND origin_seq > \(after)
          ORDER BY origin_seq
          """)
        for row in messages {
          let (seq, messageID, user, device, hlc, originSeq, sentAt) = try row.decode(
            (Int64, String, String, String, Int64, Int64, Int64).self)
          var message = Relay_V1_ReplicatedMessage()
          message.conversationID = entry.conversationID
          message.messageID = messageID
          message.sender = "\(user)/\(device)"
          message.hlc = UInt64(bitPattern: hlc)
          message.originRelay = localDomain
          message.originSeq = UInt64(originSeq)
          message.sentAtMs = sentAt
          message.copies = try await db.rows(
            """
            SELECT recipient_user, recipient_device, ciphertext FROM copies
            WHERE conversation_id = \(entry.conversationID) AND seq = \(seq)
              AND recipient_user LIKE '%@' || \(peer)
            """
          ).map { copy in
            let (user, device, ciphertext) = try copy.decode((String, String, Data).self)
            var sealed = Relay_V1_SealedCopy()
            sealed.device = "\(user)/\(device)"
            sealed.ciphertext = ciphertext
            return sealed
          }
          var event = Relay_V1_FederationEvent()
          event.message = message
          try await Self.enqueue(event, for: peer, db)
          queued += 1
        }
      }
      return queued
    }
  }
}
