internal import PostgresNIO
internal import RelayCore

extension CommittedMessage {
  /// A row selected with ``CommittedMessage/columns``.
  init(row: PostgresRow) throws {
    let (conversationID, seq, messageID, senderUser, senderDevice, hlc, originRelay, originSeq, sentAtMs) =
      try row.decode((String, Int64, String, String, String, Int64, String, Int64, Int64).self)
    self.init(
      conversationID: conversationID, seq: seq, messageID: messageID, senderUser: senderUser,
      senderDevice: senderDevice, hlc: hlc, originRelay: originRelay, originSeq: originSeq, sentAtMs: sentAtMs)
  }
}
