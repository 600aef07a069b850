/// What an acknowledgement or a read mark may do, decided from the rows a
/// store read under its locks: one rule for both backends, with the same
/// statuses and messages.
package enum ReceiptRules {
  /// An ack of `cursor` by a device whose mailbox head is `head` and that
  /// has acknowledged up to `acked`: an ack past the head is OUT_OF_RANGE (it
  /// names entries that were never written), one at or below `acked` is
  /// FAILED_PRECONDITION (acks only move forward).
  package static func checkAck(_ cursor: UInt64, head: UInt64, acked: UInt64) throws(RelayError) {
    if cursor > head {
      throw RelayError(.outOfRange, "ack cursor \(cursor) is beyond the mailbox head \(head)")
    }
    if cursor <= acked {
      throw RelayError(.failedPrecondition, "ack cursor \(cursor) was already acknowledged (acked up to \(acked))")
    }
  }

  /// A read mark up to `seq` in a conversation whose last message is
  /// `lastSeq`: past it is OUT_OF_RANGE (a message that does not exist).
  package static func checkRead(_ seq: UInt64, lastSeq: UInt64) throws(RelayError) {
    if seq > lastSeq {
      throw RelayError(.outOfRange, "read up_to_seq \(seq) is beyond the conversation's last seq \(lastSeq)")
    }
  }

  /// Whether a read mark up to `seq` moves the member's mark, now at
  /// `lastRead`: marks only move forward, and one at or below is not an error
  /// (another device of the user may have read further already).
  package static func readAdvances(_ seq: Int64, lastRead: Int64) -> Bool { seq > lastRead }
}
