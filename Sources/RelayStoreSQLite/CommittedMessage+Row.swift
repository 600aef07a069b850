internal import GRDB
internal import RelayCore

extension CommittedMessage {
  /// A row selected with ``CommittedMessage/columns``.
  init(row: Row) {
    self.init(
      conversationID: row[0], seq: row[1], messageID: row[2], senderUser: row[3], senderDevice: row[4], hlc: row[5],
      originRelay: row[6], originSeq: row[7], sentAtMs: row[8])
  }
}
