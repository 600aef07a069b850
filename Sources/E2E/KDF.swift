public import Crypto
public import Foundation

/// The key derivations of the construction, each with its own info string.
/// `docs/e2e.md` lists every input; a change here is a new envelope version.
public enum KDF {
  public static let pqxdhInfo = Data("Relay_PQXDH_X25519_SHA-256_ML-KEM-768_v1".utf8)
  public static let rootInfo = Data("Relay_Ratchet_Root_v1".utf8)
  public static let messageKeyInfo = Data("Relay_Message_Keys_v1".utf8)

  /// PQXDH's KDF: HKDF-SHA256 over 32 0xFF bytes then the key material,
  /// salt 32 zero bytes, 32 bytes out.
  public static func pqxdh(_ keyMaterial: Data) -> Data {
    hkdf(ikm: Data(repeating: 0xFF, count: 32) + keyMaterial, salt: Data(count: 32), info: pqxdhInfo, count: 32)
  }

  /// The root chain step: HKDF-SHA256(salt: root key, ikm: DH output), 64 bytes
  /// out; the first 32 are the next root key, the last 32 a chain key.
  public static func root(_ rootKey: Data, _ dhOutput: Data) -> (rootKey: Data, chainKey: Data) {
    let out = hkdf(ikm: dhOutput, salt: rootKey, info: rootInfo, count: 64)
    return (Data(out.prefix(32)), Data(out.suffix(32)))
  }

  /// The symmetric chain step: message key HMAC-SHA256(ck, 0x01), next chain key HMAC-SHA256(ck, 0x02).
  public static func chain(_ chainKey: Data) -> (chainKey: Data, messageKey: Data) {
    let key = SymmetricKey(data: chainKey)
    let messageKey = Data(HMAC<SHA256>.authenticationCode(for: [0x01], using: key))
    let next = Data(HMAC<SHA256>.authenticationCode(for: [0x02], using: key))
    return (next, messageKey)
  }

  /// A message key's AES-256-GCM key (32 bytes) and nonce (12 bytes):
  /// HKDF-SHA256(salt: 32 zero bytes, ikm: message key), 44 bytes out.
  public static func messageKeys(_ messageKey: Data) -> (key: SymmetricKey, nonce: Data) {
    let out = hkdf(ikm: messageKey, salt: Data(count: 32), info: messageKeyInfo, count: 44)
    return (SymmetricKey(data: out.prefix(32)), Data(out.suffix(12)))
  }

  /// HKDF-SHA256 (RFC 5869), extract then expand.
  public static func hkdf(ikm: Data, salt: Data, info: Data, count: Int) -> Data {
    let key = HKDF<SHA256>.deriveKey(
      inputKeyMaterial: SymmetricKey(data: ikm), salt: salt, info: info, outputByteCount: count)
    return key.withUnsafeBytes { Data($0) }
  }
}
