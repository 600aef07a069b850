import Foundation
import Wire

@testable import Relay

/// The backends the contract suite runs against. The PostgreSQL backend joins
/// this list; every test in `StoreContractTests` then runs on it unchanged.
enum StoreBackend: String, CaseIterable, Sendable {
  case sqlite

  func makeStore() throws -> any RelayStore {
    switch self {
    case .sqlite: try SQLiteStore(directory: makeTemporaryDirectory())
    }
  }
}

/// Store-level helpers: a registered device with its fingerprint.
struct StoreFixture {
  let store: any RelayStore
  let clock = HybridLogicalClock()

  @discardableResult
  func register(_ address: String, link: String? = nil, oneTime: Int = 3) async throws -> DeviceAddress {
    let device = try DeviceAddress(parsing: address)
    let request = TestDevice(device.user.description, device.deviceID).registerRequest(oneTime: oneTime)
    _ = try await self.store.register(
      Registration(
        device: device, fingerprint: Fingerprint(bytes: Array(randomBytes(32))), identityKey: request.identityKey,
        signedPrekey: request.signedPrekey, lastResortKemPrekey: request.lastResortKemPrekey,
        oneTimePrekeys: request.oneTimePrekeys, oneTimeKemPrekeys: request.oneTimeKemPrekeys,
        inviteCode: nil, linkCode: link, policy: .open, maxDevicesPerUser: 8),
      nowMs: 1)
    return device
  }

  func conversation(
    _ kind: ConversationRecord.Kind, creator: String, others: [String], nowMs: Int64 = 10
  ) async throws -> ConversationRecord {
    try await self.store.createConversation(
      NewConversation(
        id: "", kind: kind, name: "", creator: try UserAddress(parsing: creator),
        others: try others.map { try UserAddress(parsing: $0) }, homeRelay: "localhost", nowMs: nowMs, maxMembers: 100))
  }

  func send(
    _ from: DeviceAddress, _ conversation: String, to devices: [DeviceAddress], id: String = newMessageID()
  ) -> SendCommand {
    SendCommand(
      sender: from, messageID: try! MessageID(parsing: id), conversationID: conversation,
      copies: devices.map { .init(device: $0, ciphertext: Data("c-\($0)".utf8)) }, originRelay: "localhost")
  }
}
