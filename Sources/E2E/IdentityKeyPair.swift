public import Crypto
public import Foundation

/// A device's long-term identity: Ed25519 to sign its prekeys, X25519 for the
/// PQXDH agreements. Stored as the two 32-byte private keys.
public struct IdentityKeyPair: Sendable {
  public let signing: Curve25519.Signing.PrivateKey
  public let agreement: Curve25519.KeyAgreement.PrivateKey

  /// A fresh random identity.
  public init() {
    self.signing = Curve25519.Signing.PrivateKey()
    self.agreement = Curve25519.KeyAgreement.PrivateKey()
  }

  /// An identity from its stored private keys (32 bytes each).
  public init(signing: Data, agreement: Data) throws(E2EError) {
    do {
      self.signing = try Curve25519.Signing.PrivateKey(rawRepresentation: signing)
      self.agreement = try Curve25519.KeyAgreement.PrivateKey(rawRepresentation: agreement)
    } catch {
      throw E2EError(code: .invalidKey, message: "an identity private key is not 32 bytes", cause: error)
    }
  }

  public var publicKey: IdentityPublicKey {
    IdentityPublicKey(
      signing: self.signing.publicKey.rawRepresentation,
      agreement: self.agreement.publicKey.rawRepresentation)
  }

  /// Signs a prekey's public bytes (Ed25519 over exactly those bytes).
  public func sign(_ publicKey: Data) -> Data {
    // Ed25519 signing of bytes in memory cannot fail.
    try! self.signing.signature(for: publicKey)
  }
}

/// The public half of an ``IdentityKeyPair``: what the relay's directory holds.
public struct IdentityPublicKey: Hashable, Sendable, Codable {
  /// Ed25519, 32 bytes.
  public let signing: Data
  /// X25519, 32 bytes.
  public let agreement: Data

  public init(signing: Data, agreement: Data) {
    self.signing = Data(signing)
    self.agreement = Data(agreement)
  }

  /// `signing || agreement`, 64 bytes: the encoding in associated data and safety numbers.
  public var bytes: Data { self.signing + self.agreement }

  /// Checks an Ed25519 signature made by this identity over `message`.
  public func verify(_ signature: Data, over message: Data) throws(E2EError) {
    guard let key = try? Curve25519.Signing.PublicKey(rawRepresentation: self.signing) else {
      throw E2EError(code: .invalidKey, message: "the identity signing key is not 32 bytes")
    }
    guard key.isValidSignature(signature, for: message) else {
      throw E2EError(code: .badSignature, message: "a prekey signature does not verify under the identity key")
    }
  }

  func agreementKey() throws(E2EError) -> Curve25519.KeyAgreement.PublicKey {
    try X25519.publicKey(self.agreement, "identity agreement key")
  }
}
