internal import Foundation
internal import Relay
internal import RelayCore
internal import RelayStoreSQLite
internal import SwiftProtobuf
internal import TLSIdentity
internal import Wire

/// An embedded store in a temporary directory, made once per fuzzing
/// process: alice@fuzz.test (registered, with a device) in a direct
/// conversation with bob@peer.test, whose relay `peer.test` is the peer
/// that replication inputs come from.
struct FuzzStore: Sendable {
  static let domain = "fuzz.test"
  static let peer = "peer.test"
  static let conversationID = "fuzz-conversation"
  let store: SQLiteStore
  let alice: DeviceAddress
  let bob: UserAddress

  static let shared: FuzzStore = {
    let directory = NSTemporaryDirectory() + "relay-fuzz-" + UUID().uuidString
    try! FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    let store = try! SQLiteStore(directory: directory)
    let alice = try! DeviceAddress(parsing: "alice@\(domain)/phone")
    let bob = try! UserAddress(parsing: "bob@\(peer)")
    let fuzz = FuzzStore(store: store, alice: alice, bob: bob)
    _ = try! blocking { try await fuzz.seed() }.get()
    return fuzz
  }()

  private func seed() async throws {
    _ = try await self.store.register(Self.registration(self.alice, fingerprint: 1), nowMs: 1)
    try await self.store.rememberRemoteDevices(
      of: self.bob,
      [
        .with {
          $0.device = "bob@\(Self.peer)/laptop"
          $0.identityKey = Self.identityKey
          $0.registeredAtMs = 1
        }
      ])
    _ = try await self.store.createConversation(
      NewConversation(
        id: Self.conversationID, kind: .direct, name: "", creator: self.alice.user, others: [self.bob],
        homeRelay: Self.domain, nowMs: 1, maxMembers: 1000))
  }

  static let identityKey = Relay_V1_IdentityKey.with {
    $0.signingKey = Data(repeating: 1, count: 32)
    $0.agreementKey = Data(repeating: 2, count: 32)
  }

  /// A registration with keys of the right sizes (the store checks sizes, not signatures).
  static func registration(
    _ device: DeviceAddress, fingerprint: UInt8, invite: String? = nil, link: String? = nil
  ) -> Registration {
    Registration(
      device: device, fingerprint: Fingerprint(bytes: Array(repeating: fingerprint, count: 32)),
      identityKey: Self.identityKey,
      signedPrekey: .with {
        $0.keyID = 1
        $0.publicKey = Data(repeating: 3, count: 32)
        $0.signature = Data(repeating: 4, count: 64)
      },
      lastResortKemPrekey: .with {
        $0.keyID = 2
        $0.publicKey = Data(repeating: 5, count: 1184)
        $0.signature = Data(repeating: 6, count: 64)
      },
      oneTimePrekeys: [], oneTimeKemPrekeys: [], inviteCode: invite, linkCode: link,
      policy: invite == nil ? .open : .invite, maxDevicesPerUser: 8)
  }
}
