public import Crypto
public import Foundation

/// A medium-term X25519 prekey and the identity's signature over its public key.
public struct SignedPrekeyPair: Sendable {
  public let id: UInt32
  public let privateKey: Curve25519.KeyAgreement.PrivateKey
  public let signature: Data

  public init(id: UInt32, signedBy identity: IdentityKeyPair) {
    self.id = id
    self.privateKey = Curve25519.KeyAgreement.PrivateKey()
    self.signature = identity.sign(self.privateKey.publicKey.rawRepresentation)
  }

  public init(id: UInt32, privateKey: Data, signature: Data) throws(E2EError) {
    self.id = id
    self.privateKey = try X25519.privateKey(privateKey)
    self.signature = signature
  }

  public var publicKey: Data { self.privateKey.publicKey.rawRepresentation }
}

/// A one-time X25519 prekey: handed out once by the relay, erased once used.
public struct OneTimePrekeyPair: Sendable {
  public let id: UInt32
  public let privateKey: Curve25519.KeyAgreement.PrivateKey

  public init(id: UInt32) {
    self.id = id
    self.privateKey = Curve25519.KeyAgreement.PrivateKey()
  }

  public init(id: UInt32, privateKey: Data) throws(E2EError) {
    self.id = id
    self.privateKey = try X25519.privateKey(privateKey)
  }

  public var publicKey: Data { self.privateKey.publicKey.rawRepresentation }
}

/// An ML-KEM-768 prekey signed by the identity: one-time, or the device's
/// last-resort key (used when the one-time ones run out; kept after use).
public struct KemPrekeyPair: Sendable {
  public let id: UInt32
  public let privateKey: MLKEM768.PrivateKey
  public let signature: Data

  public init(id: UInt32, signedBy identity: IdentityKeyPair) {
    self.id = id
    // Generating an ML-KEM key only fails if the system's random source does.
    self.privateKey = try! MLKEM768.PrivateKey()
    self.signature = identity.sign(self.privateKey.publicKey.rawRepresentation)
  }

  /// From the stored 64-byte seed.
  public init(id: UInt32, seed: Data, signature: Data) throws(E2EError) {
    self.id = id
    do {
      self.privateKey = try MLKEM768.PrivateKey(seedRepresentation: seed, publicKey: nil)
    } catch {
      throw E2EError(code: .invalidKey, message: "a stored ML-KEM-768 seed is not 64 bytes", cause: error)
    }
    self.signature = signature
  }

  public var seed: Data { self.privateKey.seedRepresentation }
  public var publicKey: Data { self.privateKey.publicKey.rawRepresentation }
}

/// What an initiator needs from the directory to open a session with one device.
public struct PrekeyBundle: Sendable {
  public var identity: IdentityPublicKey
  public var signedPrekeyID: UInt32
  public var signedPrekey: Data
  public var signedPrekeySignature: Data
  public var oneTimePrekey: (id: UInt32, publicKey: Data)?
  public var kemPrekeyID: UInt32
  public var kemPrekey: Data
  public var kemPrekeySignature: Data

  public init(
    identity: IdentityPublicKey, signedPrekeyID: UInt32, signedPrekey: Data, signedPrekeySignature: Data,
    oneTimePrekey: (id: UInt32, publicKey: Data)?, kemPrekeyID: UInt32, kemPrekey: Data, kemPrekeySignature: Data
  ) {
    self.identity = identity
    self.signedPrekeyID = signedPrekeyID
    self.signedPrekey = signedPrekey
    self.signedPrekeySignature = signedPrekeySignature
    self.oneTimePrekey = oneTimePrekey
    self.kemPrekeyID = kemPrekeyID
    self.kemPrekey = kemPrekey
    self.kemPrekeySignature = kemPrekeySignature
  }
}
