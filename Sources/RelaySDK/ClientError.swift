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

    public var description: String { self.name }
  }

  public var code: Code
  public var message: String
  public var cause: (any Error)?

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
