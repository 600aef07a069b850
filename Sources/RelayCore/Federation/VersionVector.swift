package import Wire

/// The version vector of a conversation: for each origin relay, the highest
/// origin sequence up to which every message of that origin is here. It is
/// what anti-entropy compares, so both stores advance it the same way.
package enum VersionVector {
  /// The new contiguous sequence after the message `applied` of an origin was
  /// written, or nil when it leaves the vector as it is (a gap remains below
  /// it). `laterPresent` are the origin sequences above `applied` already
  /// here (messages that arrived ahead of it), in ascending order.
  package static func advanced(contiguous: Int64, applied: Int64, laterPresent: [Int64]) -> Int64? {
    guard applied == contiguous + 1 else { return nil }
    var next = applied
    for seq in laterPresent {
      guard seq == next + 1 else { break }
      next = seq
    }
    return next
  }

  /// One conversation's entry, as anti-entropy sends it.
  package static func entry(conversationID: String, contiguous: Int64) -> Relay_V1_VersionVectorEntry {
    var entry = Relay_V1_VersionVectorEntry()
    entry.conversationID = conversationID
    entry.contiguousOriginSeq = UInt64(clamping: contiguous)
    return entry
  }
}
