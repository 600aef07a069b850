internal import E2E
internal import Foundation
internal import RelayCore

/// What the SDK opens: a sealed envelope's ciphertext, chosen by another
/// user. Opened on a device with no session yet (a prekey message) and on one
/// holding a session with the sender.
enum SealedEnvelopeTarget {
  static let target = FuzzTarget(
    name: "sealed-envelope", summary: "sealed envelopes from another user, as the SDK opens them",
    seeds: { try Self.seeds() }, run: Self.run)

  /// Bob's keys, and the session state he holds after Alice's first message.
  static let bob = Keys()
  static let established: PeerSessions = {
    var sessions = PeerSessions()
    _ = try! sessions.open(Self.first, identity: Self.bob.identity, prekeys: Self.bob)
    return sessions
  }()
  static let alice: (identity: IdentityKeyPair, sessions: PeerSessions) = {
    let identity = IdentityKeyPair()
    var sessions = PeerSessions()
    sessions.insert(try! Session.initiate(identity: identity, bundle: Self.bob.bundle))
    return (identity, sessions)
  }()
  static let first: Data = {
    var sessions = Self.alice.sessions
    return try! sessions.seal(Data("first".utf8))
  }()

  static func run(_ data: Data) {
    var fresh = PeerSessions()
    _ = try? fresh.open(data, identity: Self.bob.identity, prekeys: Self.bob)
    var held = Self.established
    _ = try? held.open(data, identity: Self.bob.identity, prekeys: Self.bob)
  }

  static func seeds() throws -> [Data] {
    var sessions = Self.alice.sessions
    return [Self.first, try sessions.seal(Data("second".utf8)), try sessions.seal(Data(count: 300))]
  }

  /// A device's private prekeys, in memory.
  final class Keys: PrekeySource, Sendable {
    let identity = IdentityKeyPair()
    let signed: SignedPrekeyPair
    let oneTime = OneTimePrekeyPair(id: 100)
    let kem: KemPrekeyPair

    init() {
      self.signed = SignedPrekeyPair(id: 7, signedBy: self.identity)
      self.kem = KemPrekeyPair(id: 200, signedBy: self.identity)
    }

    var bundle: PrekeyBundle {
      PrekeyBundle(
        identity: self.identity.publicKey, signedPrekeyID: self.signed.id, signedPrekey: self.signed.publicKey,
        signedPrekeySignature: self.signed.signature,
        oneTimePrekey: (id: self.oneTime.id, publicKey: self.oneTime.publicKey),
        kemPrekeyID: self.kem.id, kemPrekey: self.kem.publicKey, kemPrekeySignature: self.kem.signature)
    }

    func signedPrekey(id: UInt32) -> SignedPrekeyPair? { id == self.signed.id ? self.signed : nil }
    func oneTimePrekey(id: UInt32) -> OneTimePrekeyPair? { id == self.oneTime.id ? self.oneTime : nil }
    func kemPrekey(id: UInt32) -> KemPrekeyPair? { id == self.kem.id ? self.kem : nil }
  }
}
