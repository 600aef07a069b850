public import Foundation
internal import SwiftProtobuf
public import Wire

/// One end-to-end session with one remote device: the ratchet, the
/// associated data binding both identities, and — on the initiator's side
/// until the first reply — the prekey message every envelope carries.
public struct Session: Sendable, Codable, Equatable {
  public private(set) var ratchet: RatchetState
  public let associatedData: Data
  /// The remote device's identity as this session knows it.
  public let remoteIdentity: IdentityPublicKey
  /// The initiator's ephemeral public key: identifies the session on both sides.
  public let baseKey: Data
  /// The serialized `PrekeyMessage`, while the peer has not replied.
  var pendingPrekeyMessage: Data?

  /// Opens a session from a device's bundle (the initiator's side).
  public static func initiate(identity: IdentityKeyPair, bundle: PrekeyBundle) throws(E2EError) -> Session {
    let initiation = try PQXDH.initiate(identity: identity, bundle: bundle)
    let ratchet = try RatchetState.initiator(
      sharedSecret: initiation.sharedSecret, remoteRatchetKey: bundle.signedPrekey)
    return Session(
      ratchet: ratchet, associatedData: initiation.associatedData, remoteIdentity: bundle.identity,
      baseKey: initiation.message.ephemeralKey,
      pendingPrekeyMessage: try! initiation.message.serializedBytes())
  }

  /// Accepts a prekey message (the responder's side); the caller found the prekeys it names.
  public static func respond(
    identity: IdentityKeyPair, message: Relay_V1_PrekeyMessage,
    signedPrekey: SignedPrekeyPair, oneTimePrekey: OneTimePrekeyPair?, kemPrekey: KemPrekeyPair
  ) throws(E2EError) -> Session {
    let (secret, associatedData) = try PQXDH.respond(
      identity: identity, message: message, signedPrekey: signedPrekey, oneTimePrekey: oneTimePrekey,
      kemPrekey: kemPrekey)
    return Session(
      ratchet: .responder(sharedSecret: secret, signedPrekey: signedPrekey.privateKey),
      associatedData: associatedData,
      remoteIdentity: IdentityPublicKey(
        signing: message.identityKey.signingKey, agreement: message.identityKey.agreementKey),
      baseKey: message.ephemeralKey, pendingPrekeyMessage: nil)
  }

  public var canSend: Bool { self.ratchet.canSend }

  /// Pads and seals `plaintext` into a serialized ``Relay_V1_SealedEnvelope``.
  public mutating func seal(_ plaintext: Data) throws(E2EError) -> Data {
    let (header, ciphertext) = try self.ratchet.encrypt(Padding.pad(plaintext), associatedData: self.associatedData)
    var envelope = Relay_V1_SealedEnvelope()
    envelope.version = SealedEnvelopeFormat.version
    if let pending = self.pendingPrekeyMessage {
      envelope.prekey = try! Relay_V1_PrekeyMessage(serializedBytes: pending)
    }
    envelope.header = header
    envelope.ciphertext = ciphertext
    return try! envelope.serializedBytes()
  }

  /// Opens a parsed envelope; on any error `self` is unchanged.
  public mutating func open(
    _ envelope: Relay_V1_SealedEnvelope, limits: RatchetLimits = .defaults, now: Date = Date()
  ) throws(E2EError) -> Data {
    var ratchet = self.ratchet
    let padded = try ratchet.decrypt(
      header: envelope.header, ciphertext: envelope.ciphertext, associatedData: self.associatedData,
      limits: limits, now: now)
    let plaintext = try Padding.unpad(padded)
    self.ratchet = ratchet
    // The peer replied, so it has the session: stop sending the prekey message.
    if !envelope.hasPrekey { self.pendingPrekeyMessage = nil }
    return plaintext
  }
}
