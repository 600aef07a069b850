import Foundation
import RelayCore
import Testing

/// How many times longer than usual a test waits for the event it needs:
/// `RELAY_TEST_TIME_SCALE` (a whole number, at least 1), else 1.
///
/// scripts/tsan.sh sets 4: under ThreadSanitizer the relay and the tests run
/// 5–15 times slower, and the deadlines sized for a loaded machine are not
/// enough. Only the deadlines scale: what a test expects does not.
enum Patience {
  static let scale: Int = {
    guard let text = ProcessInfo.processInfo.environment["RELAY_TEST_TIME_SCALE"], let value = Int(text) else {
      return 1
    }
    return max(1, value)
  }()

  /// The instant `timeout` (scaled) from now.
  static func deadline(after timeout: Duration) -> ContinuousClock.Instant {
    ContinuousClock.now + timeout * Self.scale
  }

  static func deadline(afterSeconds seconds: Double) -> ContinuousClock.Instant {
    Self.deadline(after: .milliseconds(Int(seconds * 1000)))
  }

  /// Checks `condition` every 20 ms until it holds; fails naming `what`
  /// once `timeout` (scaled) has passed.
  static func waitUntil(
    _ what: String, timeout: Duration = .seconds(10), _ condition: () async throws -> Bool
  ) async throws {
    let deadline = Self.deadline(after: timeout)
    while try await !condition() {
      guard ContinuousClock.now < deadline else { throw TimedOut(what: what) }
      try await Task.sleep(for: .milliseconds(20))
    }
  }

  /// A suite's or test's time limit of `minutes`, scaled: a bound on a
  /// stalled test, never a measure of a slow one.
  static func minutes(_ minutes: Int) -> TimeLimitTrait.Duration {
    .minutes(minutes * Self.scale)
  }
}

extension RelayConfiguration {
  /// Test sessions send no heartbeats: the time a silent device is allowed
  /// (the presence and region-session TTLs) scales with the tests' patience,
  /// and so does the bound on a TLS handshake (a starved relay under
  /// ThreadSanitizer took more than 10 s for one, and the client's call
  /// failed "subchannel isn't ready").
  mutating func allowSilentTestSessions() {
    self.presence.ttl = self.presence.ttl * Patience.scale
    self.region.sessionTTL = self.region.sessionTTL * Patience.scale
    self.connection.handshakeTimeout = self.connection.handshakeTimeout * Patience.scale
  }
}
