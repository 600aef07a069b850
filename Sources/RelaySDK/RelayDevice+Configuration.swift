public import Foundation
public import Wire

extension RelayDevice {
  /// How a device keeps its prekeys topped up and its session alive.
  public struct Configuration: Sendable {
    /// One-time prekeys of each kind published at a time.
    public var prekeyBatch: Int
    /// Publish another batch when the relay holds fewer than this many.
    public var prekeyThreshold: Int
    /// Heartbeat interval on the session stream (the relay's presence TTL is 60 s).
    public var heartbeat: Duration
    /// Delays between reconnect attempts.
    public var backoff: Backoff
    /// How long closing a session waits for queued frames to be written.
    public var closeTimeout: Duration
    /// How long a unary call to the relay may take before it fails `DEADLINE_EXCEEDED`.
    public var callTimeout: Duration
    /// Attempts at a send whose device list was out of date.
    public var sendAttempts: Int
    /// Sees every copy this device seals (the recipient device and the
    /// ciphertext) once its session is saved: for tests that check no
    /// message key is used twice. Nil by default.
    public var sealed: (@Sendable (_ device: String, _ ciphertext: Data) -> Void)?

    public static var defaults: Configuration {
      Configuration(
        prekeyBatch: 50, prekeyThreshold: 20, heartbeat: .seconds(30), backoff: .defaults,
        closeTimeout: .seconds(2), callTimeout: .seconds(30), sendAttempts: 3, sealed: nil)
    }

    public static func defaults(configure: (inout Configuration) -> Void) -> Configuration {
      var configuration = Self.defaults
      configure(&configuration)
      return configuration
    }
  }
}
