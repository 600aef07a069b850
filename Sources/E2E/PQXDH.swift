public import Crypto
public import Foundation
public import Wire

/// PQXDH (Signal's post-quantum extended triple Diffie-Hellman, revision 3)
/// on X25519 and ML-KEM-768: both sides derive the same 32-byte secret, and a
/// recording of the exchange stays secret against a future quantum computer.
///
/// `docs/e2e.md` lists every input in order.
public enum PQXDH {
  /// The initiator's result: the secret, the session's associated data, and
  /// what goes to the responder in every message until it replies.
  public struct Initiation: Sendable {
    public var sharedSecret: Data
    public var associatedData: Data
    public var message: Relay_V1_PrekeyMessage
  }

  /// Runs the initiator's side against a device's bundle, after checking both
  /// prekey signatures.
  /// - Parameter ephemeral: the ephemeral key (random unless a test fixes it).
  public static func initiate(
    identity: IdentityKeyPair, bundle: PrekeyBundle,
    ephemeral: Curve25519.KeyAgreement.PrivateKey = .init()
  ) throws(E2EError) -> Initiation {
    try bundle.identity.verify(bundle.signedPrekeySignature, over: bundle.signedPrekey)
    try bundle.identity.verify(bundle.kemPrekeySignature, over: bundle.kemPrekey)
    let signedPrekey = try X25519.publicKey(bundle.signedPrekey, "signed prekey")
    let remoteIdentity = try bundle.identity.agreementKey()
    let encapsulation: KEM.EncapsulationResult
    do {
      encapsulation = try MLKEM768.PublicKey(rawRepresentation: bundle.kemPrekey).encapsulate()
    } catch {
      throw E2EError(code: .invalidKey, message: "the KEM prekey is not an ML-KEM-768 key", cause: error)
    }
    var material = try X25519.agree(identity.agreement, signedPrekey)
    material += try X25519.agree(ephemeral, remoteIdentity)
    material += try X25519.agree(ephemeral, signedPrekey)
    if let oneTime = bundle.oneTimePrekey {
      material += try X25519.agree(ephemeral, X25519.publicKey(oneTime.publicKey, "one-time prekey"))
    }
    material += encapsulation.sharedSecret.withUnsafeBytes { Data($0) }

    var message = Relay_V1_PrekeyMessage()
    message.identityKey.signingKey = identity.publicKey.signing
    message.identityKey.agreementKey = identity.publicKey.agreement
    message.ephemeralKey = ephemeral.publicKey.rawRepresentation
    message.signedPrekeyID = bundle.signedPrekeyID
    if let oneTime = bundle.oneTimePrekey {
      message.oneTimePrekeyUsed = true
      message.oneTimePrekeyID = oneTime.id
    }
    message.kemPrekeyID = bundle.kemPrekeyID
    message.kemCiphertext = encapsulation.encapsulated
    return Initiation(
      sharedSecret: KDF.pqxdh(material),
      associatedData: associatedData(initiator: identity.publicKey, responder: bundle.identity),
      message: message)
  }

  /// Runs the responder's side with the prekeys the message names.
  public static func respond(
    identity: IdentityKeyPair, message: Relay_V1_PrekeyMessage,
    signedPrekey: SignedPrekeyPair, oneTimePrekey: OneTimePrekeyPair?, kemPrekey: KemPrekeyPair
  ) throws(E2EError) -> (sharedSecret: Data, associatedData: Data) {
    let initiator = IdentityPublicKey(
      signing: message.identityKey.signingKey, agreement: message.identityKey.agreementKey)
    guard initiator.signing.count == 32 else {
      throw E2EError(code: .invalidKey, message: "the initiator's signing key is not 32 bytes")
    }
    let ephemeral = try X25519.publicKey(message.ephemeralKey, "ephemeral key")
    var material = try X25519.agree(signedPrekey.privateKey, initiator.agreementKey())
    material += try X25519.agree(identity.agreement, ephemeral)
    material += try X25519.agree(signedPrekey.privateKey, ephemeral)
    if let oneTimePrekey {
      material += try X25519.agree(oneTimePrekey.privateKey, ephemeral)
    }
    do {
      material += try kemPrekey.privateKey.decapsulate(message.kemCiphertext).withUnsafeBytes { Data($0) }
    } catch {
      throw E2EError(code: .malformed, message: "the KEM ciphertext is not 1088 bytes", cause: error)
    }
    return (KDF.pqxdh(material), associatedData(initiator: initiator, responder: identity.publicKey))
  }

  /// `initiator.signing || initiator.agreement || responder.signing || responder.agreement`, 128 bytes.
  public static func associatedData(initiator: IdentityPublicKey, responder: IdentityPublicKey) -> Data {
    initiator.bytes + responder.bytes
  }
}
