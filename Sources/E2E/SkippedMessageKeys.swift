internal import Foundation

/// Message keys of messages not yet received, kept so that they open when
/// they arrive out of order, with a bound on how many and for how long.
///
/// Past the bound the oldest key is erased first; a key older than the
/// lifetime is erased on the next use of the session. A used key is erased.
public struct SkippedMessageKeys: Sendable, Codable, Equatable {
  struct Entry: Sendable, Codable, Equatable {
    var ratchetKey: Data
    var messageNumber: UInt32
    var messageKey: Data
    var storedAt: Date
  }

  private(set) var entries: [Entry] = []

  public init() {}

  public var count: Int { self.entries.count }

  mutating func insert(ratchetKey: Data, messageNumber: UInt32, messageKey: Data, at now: Date, limit: Int) {
    self.entries.append(
      Entry(ratchetKey: ratchetKey, messageNumber: messageNumber, messageKey: messageKey, storedAt: now))
    if self.entries.count > limit { self.entries.removeFirst(self.entries.count - limit) }
  }

  /// Removes and returns the key for (ratchet key, message number), if kept.
  mutating func take(ratchetKey: Data, messageNumber: UInt32) -> Data? {
    guard
      let index = self.entries.firstIndex(where: { $0.messageNumber == messageNumber && $0.ratchetKey == ratchetKey })
    else { return nil }
    return self.entries.remove(at: index).messageKey
  }

  mutating func expire(olderThan cutoff: Date) {
    self.entries.removeAll { $0.storedAt < cutoff }
  }
}
