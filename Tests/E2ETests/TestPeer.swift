import Foundation

@testable import E2E

/// A device's key material, in memory: what the SDK keeps in its database.
final class TestPeer: PrekeySource, @unchecked Sendable {
  let identity = IdentityKeyPair()
  let signed: SignedPrekeyPair
  var oneTime: [UInt32: OneTimePrekeyPair] = [:]
  var kem: [UInt32: KemPrekeyPair] = [:]
  let lastResortKemID: UInt32 = 1

  init(oneTimeKeys: Int = 3) {
    self.signed = SignedPrekeyPair(id: 7, signedBy: self.identity)
    self.kem[self.lastResortKemID] = KemPrekeyPair(id: self.lastResortKemID, signedBy: self.identity)
    for index in 0 ..< UInt32(oneTimeKeys) {
      self.oneTime[100 + index] = OneTimePrekeyPair(id: 100 + index)
      self.kem[200 + index] = KemPrekeyPair(id: 200 + index, signedBy: self.identity)
    }
  }

  /// A bundle as the relay hands it out: claims one one-time key of each kind if any is left.
  func bundle() -> PrekeyBundle {
    let oneTime = self.oneTime.keys.min().map { (id: $0, publicKey: self.oneTime[$0]!.publicKey) }
    let kemID = self.kem.keys.filter { $0 != self.lastResortKemID }.min() ?? self.lastResortKemID
    let kem = self.kem[kemID]!
    return PrekeyBundle(
      identity: self.identity.publicKey, signedPrekeyID: self.signed.id, signedPrekey: self.signed.publicKey,
      signedPrekeySignature: self.signed.signature, oneTimePrekey: oneTime, kemPrekeyID: kem.id,
      kemPrekey: kem.publicKey, kemPrekeySignature: kem.signature)
  }

  func signedPrekey(id: UInt32) -> SignedPrekeyPair? { id == self.signed.id ? self.signed : nil }
  func oneTimePrekey(id: UInt32) -> OneTimePrekeyPair? { self.oneTime[id] }
  func kemPrekey(id: UInt32) -> KemPrekeyPair? { self.kem[id] }

  /// Erases what an opened prekey message used, as the SDK does.
  func consume(_ opened: PeerSessions.Opened) {
    if let id = opened.usedOneTimePrekeyID { self.oneTime[id] = nil }
    if let id = opened.usedKemPrekeyID, id != self.lastResortKemID { self.kem[id] = nil }
  }
}

extension PeerSessions {
  mutating func seal(_ text: String) throws -> Data { try self.seal(Data(text.utf8)) }

  mutating func openText(_ bytes: Data, as peer: TestPeer, now: Date = Date()) throws -> String {
    let opened = try self.open(bytes, identity: peer.identity, prekeys: peer, now: now)
    peer.consume(opened)
    return String(decoding: opened.plaintext, as: UTF8.self)
  }
}

/// Alice has started a session with Bob from his bundle.
func startedSession(alice: TestPeer, bob: TestPeer) throws -> (alice: PeerSessions, bob: PeerSessions) {
  var aliceSide = PeerSessions()
  aliceSide.insert(try Session.initiate(identity: alice.identity, bundle: bob.bundle()))
  return (aliceSide, PeerSessions())
}
