/// What went wrong in the client SDK. The description names the operation and
/// the reason, never message text or key material.
public struct ClientError: Error, Sendable, CustomStringConvertible {
  public struct Code: Hashable, Sendable, CustomStringConvertible {
    private let name: String
    private init(_ name: String) { self.name = name }

    /// The home directory holds no registered device.
    public static let notRegistered = Code("notRegistered")
    /// The home directory already holds a device.
    public static let alreadyRegistered = Code("alreadyRegistered")
    /// The relay presented a certificate other than the pinned one.
    public static let untrustedRelay = Code("untrustedRelay")
    /// The relay refused a call; `cause` is its `RPCError`.
    public static let relayRefused = Code("relayRefused")
    /// A peer's keys or a message did not check out; `cause` is the `E2EError`.
    public static let crypto = Code("crypto")
    /// Bad input from the caller (an address, a command).
    public static let invalidArgument = Code("invalidArgument")
    /// The local database failed.
    public static let storage = Code("storage")
    /// The user is homed in another region of its domain (docs/regions.md):
    /// ``ClientError/home`` says where; register there, or ``RelayDevice/follow(_:home:)``.
    public static let homedElsewhere = Code("homedElsewhere")

    public var description: String { self.name }
  }

  /// Where the user's home region listens, as the region that answered
  /// vouches for it (the `relay-home-*` trailers).
  public struct Home: Sendable, Hashable {
    public var region: String
    /// `HOST:PORT`.
    public var address: String
    /// The home region's key fingerprint (hex): pin it there.
    public var fingerprint: String

    public init(region: String, address: String, fingerprint: String) {
      self.region = region
      self.address = address
      self.fingerprint = fingerprint
    }
  }

  public var code: Code
  public var message: String
  public var cause: (any Error)?
  /// Set with ``Code/homedElsewhere``.
  public var home: Home?

  public init(_ code: Code, _ message: String, cause: (any Error)? = nil) {
    self.code = code
    self.message = message
    self.cause = cause
  }

  public var description: String {
    if let cause { return "\(self.message) (\(cause))" }
    return self.message
  }
}
