internal import Synchronization

/// Lets a message through once per `interval` for each key, so that what a
/// remote party can repeat at will (a refused peer reconnecting) is logged,
/// but cannot flood the log. At most `maxKeys` keys are remembered; past that
/// the memory starts over (a burst of new keys is logged once more, never more).
package final class LogThrottle: Sendable {
  package let interval: Duration
  package let maxKeys: Int
  private let lastLogged = Mutex<[String: ContinuousClock.Instant]>([:])

  package init(interval: Duration = .seconds(60), maxKeys: Int = 1024) {
    self.interval = interval
    self.maxKeys = maxKeys
  }

  /// True when a message for `key` may be logged now.
  package func allows(_ key: String, now: ContinuousClock.Instant = .now) -> Bool {
    self.lastLogged.withLock { last in
      if let previous = last[key], now - previous < self.interval { return false }
      if last.count >= self.maxKeys { last.removeAll(keepingCapacity: true) }
      last[key] = now
      return true
    }
  }
}
