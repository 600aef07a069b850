/// Why a sealed envelope could not be made or opened.
///
/// The description names what failed, never key material or plaintext.
public struct E2EError: Error, Hashable, Sendable, CustomStringConvertible {
  /// What kind of failure, stable across releases.
  public struct Code: Hashable, Sendable, CustomStringConvertible {
    private enum Wrapped: String, Hashable, Sendable {
      case malformed, unsupportedVersion, invalidKey, badSignature, unknownPrekey
      case noSession, decryptionFailed, tooManySkippedMessages, replayed
    }
    private let wrapped: Wrapped
    private init(_ wrapped: Wrapped) { self.wrapped = wrapped }

    /// Bytes that do not parse as what they should be.
    public static let malformed = Code(.malformed)
    /// A sealed-envelope version this implementation does not know.
    public static let unsupportedVersion = Code(.unsupportedVersion)
    /// A public key of the wrong size or not a valid point.
    public static let invalidKey = Code(.invalidKey)
    /// A prekey whose signature does not verify under the identity key.
    public static let badSignature = Code(.badSignature)
    /// A prekey message naming a prekey this device does not hold (used or rotated away).
    public static let unknownPrekey = Code(.unknownPrekey)
    /// A message for a session this device does not have.
    public static let noSession = Code(.noSession)
    /// Authentication failed: wrong key, tampered header or ciphertext.
    public static let decryptionFailed = Code(.decryptionFailed)
    /// A message that would skip more message keys than the bound allows.
    public static let tooManySkippedMessages = Code(.tooManySkippedMessages)
    /// A message whose key was already used and erased.
    public static let replayed = Code(.replayed)

    public var description: String { self.wrapped.rawValue }
  }

  public var code: Code
  public var message: String
  public var cause: (any Error)?

  public init(code: Code, message: String, cause: (any Error)? = nil) {
    self.code = code
    self.message = message
    self.cause = cause
  }

  public var description: String { "\(self.code): \(self.message)" }

  public static func == (lhs: E2EError, rhs: E2EError) -> Bool {
    lhs.code == rhs.code && lhs.message == rhs.message
  }

  public func hash(into hasher: inout Hasher) {
    hasher.combine(self.code)
    hasher.combine(self.message)
  }
}
