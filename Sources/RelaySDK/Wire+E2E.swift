internal import E2E
internal import Foundation
internal import Wire

// Conversions between the directory's protobuf keys and the E2E types.

extension Relay_V1_IdentityKey {
  init(_ key: IdentityPublicKey) {
    self.init()
    self.signingKey = key.signing
    self.agreementKey = key.agreement
  }

  var identity: IdentityPublicKey { IdentityPublicKey(signing: self.signingKey, agreement: self.agreementKey) }
}

extension Relay_V1_SignedPrekey {
  init(_ key: SignedPrekeyPair) {
    self.init()
    self.keyID = key.id
    self.publicKey = key.publicKey
    self.signature = key.signature
  }
}

extension Relay_V1_OneTimePrekey {
  init(_ key: OneTimePrekeyPair) {
    self.init()
    self.keyID = key.id
    self.publicKey = key.publicKey
  }
}

extension Relay_V1_KemPrekey {
  init(_ key: KemPrekeyPair) {
    self.init()
    self.keyID = key.id
    self.publicKey = key.publicKey
    self.signature = key.signature
  }
}

extension PrekeyBundle {
  init(_ bundle: Relay_V1_PrekeyBundle) {
    self.init(
      identity: bundle.identityKey.identity, signedPrekeyID: bundle.signedPrekey.keyID,
      signedPrekey: bundle.signedPrekey.publicKey, signedPrekeySignature: bundle.signedPrekey.signature,
      oneTimePrekey: bundle.hasOneTimePrekey ? (bundle.oneTimePrekey.keyID, bundle.oneTimePrekey.publicKey) : nil,
      kemPrekeyID: bundle.kemPrekey.keyID, kemPrekey: bundle.kemPrekey.publicKey,
      kemPrekeySignature: bundle.kemPrekey.signature)
  }
}
