import Testing

@testable import RelayCore

@Suite("Receipt rules: what an ack or a read mark may do, on either backend")
struct ReceiptRulesTests {
  // Past the head: OUT_OF_RANGE; at or below the last ack: FAILED_PRECONDITION.
  @Test("an ack moves forward, within the mailbox")
  func acks() throws {
    try ReceiptRules.checkAck(5, head: 9, acked: 4)
    try ReceiptRules.checkAck(9, head: 9, acked: 0)
    let past = #expect(throws: RelayError.self) { try ReceiptRules.checkAck(10, head: 9, acked: 4) }
    #expect(past?.code == .outOfRange)
    #expect(past?.message == "ack cursor 10 is beyond the mailbox head 9")
    let again = #expect(throws: RelayError.self) { try ReceiptRules.checkAck(4, head: 9, acked: 4) }
    #expect(again?.code == .failedPrecondition)
    #expect(again?.message == "ack cursor 4 was already acknowledged (acked up to 4)")
    // Nothing written yet: even cursor 0 names nothing new.
    #expect(throws: RelayError.self) { try ReceiptRules.checkAck(0, head: 0, acked: 0) }
  }

  @Test("a read mark names an existing message and moves only forward, without an error for one behind")
  func reads() throws {
    try ReceiptRules.checkRead(3, lastSeq: 3)
    let past = #expect(throws: RelayError.self) { try ReceiptRules.checkRead(4, lastSeq: 3) }
    #expect(past?.code == .outOfRange)
    #expect(past?.message == "read up_to_seq 4 is beyond the conversation's last seq 3")
    #expect(ReceiptRules.readAdvances(3, lastRead: 2))
    #expect(!ReceiptRules.readAdvances(2, lastRead: 2))
    #expect(!ReceiptRules.readAdvances(1, lastRead: 2))
  }
}
