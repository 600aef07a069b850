import Testing

@testable import RelayCore

@Suite("Cumulative receipts: one per conversation and sender, for the newest in the sender's order")
struct CoveredMessageTests {
  private func message(_ conversation: String, _ sender: String, seq: Int64, origin: Int64) -> CoveredMessage {
    CoveredMessage(
      conversationID: conversation, seq: seq, originSeq: origin, messageID: "\(conversation)-\(seq)",
      senderUser: sender, sender: sender + "/phone")
  }

  // Newest by origin sequence, even where a replicated message was applied
  // after a later one; the groups in the order they are first seen.
  @Test("the newest message of each sender, in the sender's own order")
  func newestPerSender() {
    let covered = [
      self.message("c1", "bob@b", seq: 1, origin: 10),
      self.message("c1", "carol@c", seq: 2, origin: 4),
      // Applied here later than seq 1 but sent before it on bob's relay.
      self.message("c1", "bob@b", seq: 3, origin: 9),
      self.message("c2", "bob@b", seq: 1, origin: 11),
      self.message("c1", "carol@c", seq: 4, origin: 5),
    ]
    let newest = covered.newestPerSender()
    #expect(newest.map(\.messageID) == ["c1-1", "c1-4", "c2-1"])
    #expect([CoveredMessage]().newestPerSender().isEmpty)
  }
}
