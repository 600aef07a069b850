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

  /// Entries for a peer that is another domain seen as one relay (its
  /// gateway region answers for all its regions): `origins` adds, per
  /// conversation, how far each origin of that domain is held here.
  package static func withOrigins(
    _ entries: [Relay_V1_VersionVectorEntry], _ origins: [(conversationID: String, origin: String, contiguous: Int64)]
  ) -> [Relay_V1_VersionVectorEntry] {
    var byConversation = [String: [Relay_V1_OriginPosition]]()
    for row in origins {
      var position = Relay_V1_OriginPosition()
      position.originRelay = row.origin
      position.contiguousOriginSeq = UInt64(clamping: row.contiguous)
      byConversation[row.conversationID, default: []].append(position)
    }
    return entries.map { entry in
      var entry = entry
      entry.origins = Array((byConversation[entry.conversationID] ?? []).prefix(Self.maxOrigins))
      return entry
    }
  }

  /// Origins one entry may name.
  package static let maxOrigins = 64

  /// How far the caller of `Reconcile` holds `origin`'s messages (the called relay's id), by `entry`.
  package static func held(_ entry: Relay_V1_VersionVectorEntry, of origin: String) throws(RelayError) -> Int64 {
    guard entry.origins.count <= Self.maxOrigins else {
      throw RelayError(.resourceExhausted, "a version vector entry may name at most \(Self.maxOrigins) origins")
    }
    guard !entry.origins.isEmpty else {
      return try Int64(wire: entry.contiguousOriginSeq, field: "contiguous_origin_seq")
    }
    let seq = entry.origins.first { $0.originRelay == origin }?.contiguousOriginSeq ?? 0
    return try Int64(wire: seq, field: "contiguous_origin_seq")
  }
}
