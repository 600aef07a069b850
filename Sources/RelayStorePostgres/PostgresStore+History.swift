internal import PostgresNIO
public import RelayCore
public import Wire

extension PostgresStore {
  /// Page tokens are ``PageCursor/Display`` of the last envelope returned.
  public func history(
    conversationID: String, device: DeviceAddress, page: PageRequest
  ) async throws -> Page<Relay_V1_Envelope> {
    try await self.read("reading history") { db in
      _ = try await Self.membership(db, id: conversationID, viewer: device.user)
      let after = page.token.isEmpty ? nil : try PageCursor.Display(token: page.token)
      let afterOriginSeq = try after?.storedOriginSeq() ?? 0
      let envelopes = try await db.rows(
        """
        SELECT m.seq, m.message_id, m.sender_user, m.sender_device, m.hlc, m.origin_relay, m.origin_seq, m.sent_at_ms,
               c.ciphertext
        FROM messages m JOIN copies c ON c.conversation_id = m.conversation_id AND c.seq = m.seq
          AND c.recipient_user = \(device.user.description) AND c.recipient_device = \(device.deviceID)
        WHERE m.conversation_id = \(conversationID)
          AND (\(after == nil) OR (m.hlc, m.origin_relay, m.origin_seq)
            > (\(Int64(bitPattern: after?.hlc ?? 0)), \(after?.originRelay ?? ""), \(afterOriginSeq)))
        ORDER BY m.hlc, m.origin_relay, m.origin_seq LIMIT \(page.size + 1)
        """
      ).map { row in
        let cells = row.makeRandomAccess()
        var envelope = try Self.envelope(cells, offset: 1)
        envelope.conversationID = conversationID
        envelope.seq = UInt64(try cells[0].decode(Int64.self))
        return envelope
      }
      return PageCursor.page(envelopes, size: page.size) { PageCursor.Display($0).token }
    }
  }
}
