internal import SwiftProtobuf
package import Wire

/// A transfer larger than one federation frame goes as several events
/// (docs/regions.md, "Moving a user"): parts 0 ..< parts - 1 carry only
/// undelivered entries and the messages they name; the last carries the
/// claim's devices, conversations and covers, what else fits, and the user's
/// recent messages while they fit. The new home keeps the first parts aside
/// and applies the whole when the last arrives.
extension Relay_V1_UserTransfer {
  /// Events a transfer may take: 32 frames of ciphertext at most.
  package static let maxParts = 32

  /// This transfer as the events that carry it, each at most `maxBytes`
  /// serialized; `recent` messages fill the last event's room (the others are
  /// left behind). Throws when the devices, keys and conversations alone do
  /// not fit one event, or the whole needs more than ``maxParts``.
  package func parts(maxBytes: Int, recent: [Relay_V1_ReplicatedMessage]) throws(RelayError) -> [Relay_V1_UserTransfer]
  {
    var head = self
    head.entries = []
    head.messages = []
    head.part = 0
    head.parts = 0
    // The part numbers, and an element's tag and length, on top of what is measured.
    let overhead = 16
    var headBytes = Self.size(head) + overhead
    guard headBytes <= maxBytes else {
      throw RelayError(.resourceExhausted, "the user's keys and conversations are over \(maxBytes) bytes: not moved")
    }
    var empty = Relay_V1_UserTransfer()
    empty.claim = self.claim
    let emptyBytes = Self.size(empty) + overhead
    var data = [Relay_V1_UserTransfer]()
    var current = empty
    var currentBytes = emptyBytes
    func room(for size: Int) throws(RelayError) {
      if currentBytes + size > maxBytes, currentBytes > emptyBytes {
        data.append(current)
        current = empty
        currentBytes = emptyBytes
      }
      guard currentBytes + size <= maxBytes else {
        throw RelayError(
          .resourceExhausted, "one of the user's undelivered messages is over \(maxBytes) bytes: not moved")
      }
      currentBytes += size
    }
    for entry in self.entries {
      try room(for: Self.size(entry) + 6)
      current.entries.append(entry)
    }
    for message in self.messages {
      try room(for: Self.size(message) + 6)
      current.messages.append(message)
    }
    // What is left in the last data part goes with the head when it fits there.
    if currentBytes > emptyBytes {
      if headBytes + currentBytes - emptyBytes <= maxBytes {
        head.entries = current.entries
        head.messages = current.messages
        headBytes += currentBytes - emptyBytes
      } else {
        data.append(current)
      }
    }
    for message in recent {
      let size = Self.size(message) + 6
      guard headBytes + size <= maxBytes else { break }
      head.messages.append(message)
      headBytes += size
    }
    let count = data.count + 1
    guard count <= Self.maxParts else {
      throw RelayError(
        .resourceExhausted,
        "the user's undelivered messages are over \(Self.maxParts) frames of \(maxBytes) bytes: not moved")
    }
    guard count > 1 else { return [head] }
    for index in data.indices {
      data[index].part = UInt32(index)
      data[index].parts = UInt32(count)
    }
    head.part = UInt32(count - 1)
    head.parts = UInt32(count)
    return data + [head]
  }

  /// What a hand-off queues: the whole (with `recent`) checked by `check` —
  /// the new home's rules — then the events that carry it.
  package func handOffEvents(
    recent: [Relay_V1_ReplicatedMessage], maxBytes: Int,
    check: (Relay_V1_UserTransfer) throws(RelayError) -> Void
  ) throws(RelayError) -> [Relay_V1_FederationEvent] {
    var whole = self
    whole.messages += recent
    try check(whole)
    return try self.parts(maxBytes: maxBytes, recent: recent).map { part in
      var event = Relay_V1_FederationEvent()
      event.userTransfer = part
      return event
    }
  }

  /// The last part with the parts kept aside before it: one transfer, in the
  /// order the parts were packed.
  package func merged(with earlier: [Relay_V1_UserTransfer]) -> Relay_V1_UserTransfer {
    var whole = self
    whole.entries = earlier.flatMap(\.entries) + self.entries
    whole.messages = earlier.flatMap(\.messages) + self.messages
    whole.part = 0
    whole.parts = 0
    return whole
  }

  /// Its size serialized, as a part of it is measured against a frame.
  package var serializedSize: Int { Self.size(self) }

  private static func size(_ message: some SwiftProtobuf.Message) -> Int {
    (try? message.serializedBytes() as [UInt8])?.count ?? Int.max / 2
  }
}
