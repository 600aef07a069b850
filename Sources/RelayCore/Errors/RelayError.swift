/// An error the relay reports to a client.
///
/// Like `RPCError`, it carries an opaque ``Code`` that maps onto a gRPC status,
/// a `message` written for the client developer and an optional underlying
/// `cause`. Messages name rules and limits, never user data (no ciphertext, no
/// key material). A failed send may also carry the devices the client must add
/// or drop (``deviceMismatch``).
public struct RelayError: Error, Sendable, CustomStringConvertible {
  public struct Code: Hashable, Sendable, CustomStringConvertible {
    package enum Wrapped: Hashable, Sendable {
      case invalidArgument, notFound, alreadyExists, permissionDenied, unauthenticated
      case failedPrecondition, resourceExhausted, outOfRange, unavailable, aborted, `internal`
    }
    package let wrapped: Wrapped

    public static let invalidArgument = Code(wrapped: .invalidArgument)
    public static let notFound = Code(wrapped: .notFound)
    public static let alreadyExists = Code(wrapped: .alreadyExists)
    public static let permissionDenied = Code(wrapped: .permissionDenied)
    public static let unauthenticated = Code(wrapped: .unauthenticated)
    public static let failedPrecondition = Code(wrapped: .failedPrecondition)
    public static let resourceExhausted = Code(wrapped: .resourceExhausted)
    public static let outOfRange = Code(wrapped: .outOfRange)
    public static let unavailable = Code(wrapped: .unavailable)
    public static let aborted = Code(wrapped: .aborted)
    public static let `internal` = Code(wrapped: .internal)

    public var description: String { String(describing: self.wrapped) }
  }

  /// The devices a send must add (missing) and drop (stale) to match the
  /// conversation's current devices.
  public struct DeviceMismatch: Sendable, Hashable {
    public var missing: [String]
    public var stale: [String]
  }

  /// Where a user of this domain is homed when it is another region
  /// (docs/regions.md): sent as the `relay-home-region`,
  /// `relay-home-address` and `relay-home-fingerprint` trailers so a client
  /// reconnects there, pinning the key this relay vouches for.
  public struct Home: Sendable, Hashable {
    public var region: String
    /// `host:port` of the region's listener; nil when this relay does not know it.
    public var address: String?
    /// The region's key fingerprint (64 hex digits), as this relay's config lists it.
    public var fingerprint: String?
  }

  public var code: Code
  public var message: String
  public var cause: (any Error)?
  public var deviceMismatch: DeviceMismatch?
  public var home: Home?

  public init(_ code: Code, _ message: String, cause: (any Error)? = nil) {
    self.code = code
    self.message = message
    self.cause = cause
  }

  public var description: String {
    var text = "\(self.code): \(self.message)"
    if let cause = self.cause { text += " (cause: \(String(reflecting: type(of: cause))))" }
    return text
  }

  /// Wraps an unexpected error as `internal`, keeping it as the cause.
  package static func wrapping(_ error: any Error, _ what: String) -> RelayError {
    if let relayError = error as? RelayError { return relayError }
    return RelayError(.internal, "\(what) failed", cause: error)
  }
}
