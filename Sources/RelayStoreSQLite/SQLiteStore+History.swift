internal import GRDB
public import RelayCore
public import Wire

extension SQLiteStore {
  /// Page tokens are `hlc:origin_seq:origin_relay` of the last envelope returned.
  public func history(
    conversationID: String, device: DeviceAddress, page: PageRequest
  ) async throws -> Page<Relay_V1_Envelope> {
    try await self.read("reading history") { db in
      _ = try Self.membership(db, id: conversationID, viewer: device.user)
      var sql = """
        SELECT m.seq, m.message_id, m.sender_user, m.sender_device, m.hlc, m.origin_relay, m.origin_seq, m.sent_at_ms,
               c.ciphertext
        FROM messages m JOIN copies c ON c.conversation_id = m.conversation_id AND c.seq = m.seq
          AND c.recipient_user = ? AND c.recipient_device = ?
        WHERE m.conversation_id = ?
        """
      var arguments: StatementArguments = [device.user.description, device.deviceID, conversationID]
      if !page.token.isEmpty {
        let after = try PageCursor.Display(token: page.token)
        sql += " AND (m.hlc, m.origin_relay, m.origin_seq) > (?, ?, ?)"
        arguments += [Int64(bitPattern: after.hlc), after.originRelay, try after.storedOriginSeq()]
      }
      sql += " ORDER BY m.hlc, m.origin_relay, m.origin_seq LIMIT ?"
      arguments += [page.size + 1]
      let envelopes = try Row.fetchAll(db, sql: sql, arguments: arguments).map { row in
        var envelope = Self.envelope(row, offset: 1)
        envelope.conversationID = conversationID
        envelope.seq = UInt64(row[0] as Int64)
        return envelope
      }
      return PageCursor.page(envelopes, size: page.size) { PageCursor.Display($0).token }
    }
  }
}
