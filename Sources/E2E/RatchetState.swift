public import Crypto
public import Foundation

/// The Double Ratchet (Signal, revision 4) state of one session, as a value:
/// an operation works on a copy and the caller keeps it only on success, so a
/// message that fails to open changes nothing.
public struct RatchetState: Sendable, Codable, Equatable {
  var rootKey: Data
  /// Our current ratchet private key (X25519, 32 bytes).
  var sendingRatchetKey: Data
  /// The peer's current ratchet public key, once known.
  var receivingRatchetKey: Data?
  var sendingChainKey: Data?
  var receivingChainKey: Data?
  var sendCount: UInt32 = 0
  var receiveCount: UInt32 = 0
  var previousSendCount: UInt32 = 0
  var skipped = SkippedMessageKeys()

  /// The initiator's state: it knows the responder's signed prekey, which is
  /// the responder's first ratchet key, and starts a sending chain at once.
  public static func initiator(
    sharedSecret: Data, remoteRatchetKey: Data,
    ratchetKey: Curve25519.KeyAgreement.PrivateKey = .init()
  ) throws(E2EError) -> RatchetState {
    let dh = try X25519.agree(ratchetKey, X25519.publicKey(remoteRatchetKey, "signed prekey"))
    let (rootKey, chainKey) = KDF.root(sharedSecret, dh)
    return RatchetState(
      rootKey: rootKey, sendingRatchetKey: ratchetKey.rawRepresentation,
      receivingRatchetKey: remoteRatchetKey, sendingChainKey: chainKey)
  }

  /// The responder's state: its signed prekey is its first ratchet key; it can
  /// send once it has received.
  public static func responder(sharedSecret: Data, signedPrekey: Curve25519.KeyAgreement.PrivateKey) -> RatchetState {
    RatchetState(rootKey: sharedSecret, sendingRatchetKey: signedPrekey.rawRepresentation)
  }

  /// Whether this side has a sending chain (the responder has none before it receives).
  public var canSend: Bool { self.sendingChainKey != nil }

  /// Seals `plaintext`: returns the 40-byte header and the ciphertext with its tag.
  public mutating func encrypt(
    _ plaintext: Data, associatedData: Data
  ) throws(E2EError) -> (header: Data, ciphertext: Data) {
    guard let chainKey = self.sendingChainKey else {
      throw E2EError(code: .noSession, message: "the session has no sending chain before its first received message")
    }
    let (next, messageKey) = KDF.chain(chainKey)
    self.sendingChainKey = next
    let ratchetPublic = try X25519.privateKey(self.sendingRatchetKey).publicKey.rawRepresentation
    let header = RatchetHeader(
      ratchetKey: ratchetPublic, previousChainLength: self.previousSendCount, messageNumber: self.sendCount
    ).bytes
    self.sendCount += 1
    return (header, try MessageCipher.seal(plaintext, messageKey: messageKey, associatedData: associatedData + header))
  }

  /// Opens a message; on any error `self` is unchanged.
  public mutating func decrypt(
    header headerBytes: Data, ciphertext: Data, associatedData: Data,
    limits: RatchetLimits = .defaults, now: Date = Date(),
    nextRatchetKey: () -> Curve25519.KeyAgreement.PrivateKey = { .init() }
  ) throws(E2EError) -> Data {
    var state = self
    let plaintext = try state.open(
      RatchetHeader(bytes: headerBytes), headerBytes, ciphertext, associatedData, limits, now, nextRatchetKey)
    self = state
    return plaintext
  }

  private mutating func open(
    _ header: RatchetHeader, _ headerBytes: Data, _ ciphertext: Data, _ associatedData: Data,
    _ limits: RatchetLimits, _ now: Date, _ nextRatchetKey: () -> Curve25519.KeyAgreement.PrivateKey
  ) throws(E2EError) -> Data {
    let aad = associatedData + headerBytes
    self.skipped.expire(olderThan: now - TimeInterval(limits.skippedKeyLifetime.components.seconds))
    if let key = self.skipped.take(ratchetKey: header.ratchetKey, messageNumber: header.messageNumber) {
      return try MessageCipher.open(ciphertext, messageKey: key, associatedData: aad)
    }
    if header.ratchetKey != self.receivingRatchetKey || self.receivingChainKey == nil {
      if self.receivingChainKey != nil {
        try self.skip(until: header.previousChainLength, limits, now)
      }
      try self.step(remoteRatchetKey: header.ratchetKey, nextRatchetKey())
    } else if header.messageNumber < self.receiveCount {
      throw E2EError(code: .replayed, message: "message \(header.messageNumber) of this chain was already opened")
    }
    try self.skip(until: header.messageNumber, limits, now)
    let (next, messageKey) = KDF.chain(self.receivingChainKey!)
    self.receivingChainKey = next
    self.receiveCount += 1
    return try MessageCipher.open(ciphertext, messageKey: messageKey, associatedData: aad)
  }

  /// Keeps the keys of the receiving chain's messages up to (not including) `until`.
  private mutating func skip(until: UInt32, _ limits: RatchetLimits, _ now: Date) throws(E2EError) {
    guard until >= self.receiveCount else { return }
    guard Int(until - self.receiveCount) <= limits.maxSkip else {
      throw E2EError(
        code: .tooManySkippedMessages,
        message: "the message would skip \(until - self.receiveCount) keys; at most \(limits.maxSkip) are kept")
    }
    guard var chainKey = self.receivingChainKey, let ratchetKey = self.receivingRatchetKey else { return }
    while self.receiveCount < until {
      let (next, messageKey) = KDF.chain(chainKey)
      self.skipped.insert(
        ratchetKey: ratchetKey, messageNumber: self.receiveCount, messageKey: messageKey, at: now,
        limit: limits.maxStoredSkippedKeys)
      chainKey = next
      self.receiveCount += 1
    }
    self.receivingChainKey = chainKey
  }

  /// The DH ratchet step: a new receiving chain from the peer's new key, then
  /// a new sending chain from a fresh key of ours.
  private mutating func step(
    remoteRatchetKey: Data, _ newKey: Curve25519.KeyAgreement.PrivateKey
  ) throws(E2EError) {
    let remote = try X25519.publicKey(remoteRatchetKey, "ratchet key")
    self.previousSendCount = self.sendCount
    self.sendCount = 0
    self.receiveCount = 0
    self.receivingRatchetKey = remoteRatchetKey
    let received = try X25519.agree(X25519.privateKey(self.sendingRatchetKey), remote)
    (self.rootKey, self.receivingChainKey) = KDF.root(self.rootKey, received)
    self.sendingRatchetKey = newKey.rawRepresentation
    let sent = try X25519.agree(newKey, remote)
    (self.rootKey, self.sendingChainKey) = KDF.root(self.rootKey, sent)
  }
}
