internal import Crypto
internal import Foundation

/// X25519 helpers that turn CryptoKit's errors into ``E2EError``s.
enum X25519 {
  static func publicKey(_ bytes: Data, _ what: String) throws(E2EError) -> Curve25519.KeyAgreement.PublicKey {
    do {
      return try Curve25519.KeyAgreement.PublicKey(rawRepresentation: bytes)
    } catch {
      throw E2EError(code: .invalidKey, message: "the \(what) is not a 32-byte X25519 key", cause: error)
    }
  }

  static func privateKey(_ bytes: Data) throws(E2EError) -> Curve25519.KeyAgreement.PrivateKey {
    do {
      return try Curve25519.KeyAgreement.PrivateKey(rawRepresentation: bytes)
    } catch {
      throw E2EError(code: .invalidKey, message: "a stored X25519 private key is not 32 bytes", cause: error)
    }
  }

  /// The raw 32-byte shared secret; an all-zero result (a low-order point) is refused.
  static func agree(
    _ privateKey: Curve25519.KeyAgreement.PrivateKey, _ publicKey: Curve25519.KeyAgreement.PublicKey
  ) throws(E2EError) -> Data {
    let secret: Data
    do {
      secret = try privateKey.sharedSecretFromKeyAgreement(with: publicKey).withUnsafeBytes { Data($0) }
    } catch {
      throw E2EError(code: .invalidKey, message: "an X25519 agreement failed", cause: error)
    }
    guard secret.contains(where: { $0 != 0 }) else {
      throw E2EError(code: .invalidKey, message: "an X25519 public key is a low-order point")
    }
    return secret
  }
}
