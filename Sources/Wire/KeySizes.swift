/// The exact sizes, in bytes, of the public keys and signatures a device
/// publishes. The relay checks these; clients check the signatures.
public enum KeySizes {
  /// Ed25519 and X25519 public keys.
  public static let curve25519PublicKey = 32
  /// Ed25519 signatures.
  public static let ed25519Signature = 64
  /// ML-KEM-768 encapsulation (public) keys.
  public static let mlkem768PublicKey = 1184
}
