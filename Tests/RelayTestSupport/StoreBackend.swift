import Foundation
import Logging
import TLSIdentity
import Testing
import Wire

@testable import Relay
@testable import RelayCore
@testable import RelayStorePostgres
@testable import RelayStoreSQLite

/// The backends the contract suite runs against; every test in
/// `StoreContractTests` runs on each. PostgreSQL runs when the test script
/// provides a server (always in CI).
enum StoreBackend: String, Sendable, CustomTestStringConvertible {
  case sqlite
  case postgres

  static var all: [StoreBackend] {
    TestDatabases.postgresURL != nil || TestDatabases.required ? [.sqlite, .postgres] : [.sqlite]
  }

  var testDescription: String { self.rawValue }

  /// Runs `body` with `count` stores that share one new, empty database —
  /// as the nodes of a region share theirs.
  func withStores(_ count: Int = 1, _ body: ([any RelayStore]) async throws -> Void) async throws {
    switch self {
    case .sqlite:
      let directory = makeTemporaryDirectory()
      try await body(try (0 ..< count).map { _ in try SQLiteStore(directory: directory) })
    case .postgres:
      let url = try await TestDatabases.makePostgresDatabase()
      // The wait for a pooled connection is not under test here (the region
      // tests cover it); at the start of a run, with every suite connecting
      // and handshaking at once on two cores, a connection can take over 5 s.
      let stores = try (0 ..< count).map { _ in
        try PostgresStore(url: url, poolSize: 4, leaseTimeout: .seconds(60), logger: Logger(label: "test.postgres"))
      }
      try await withThrowingTaskGroup(of: Void.self) { group in
        for store in stores { group.addTask { try await store.run() } }
        do {
          _ = try await stores[0].migrate()
          try await body(stores)
        } catch {
          group.cancelAll()
          throw error
        }
        group.cancelAll()
      }
    }
  }

  func withFixture(_ body: (StoreFixture) async throws -> Void) async throws {
    try await self.withStores(1) { stores in try await body(StoreFixture(store: stores[0])) }
  }
}

/// Store-level helpers: a registered device with its fingerprint.
struct StoreFixture {
  let store: any RelayStore
  let clock = HybridLogicalClock()

  @discardableResult
  func register(
    _ address: String, link: String? = nil, oneTime: Int = 3, home: HomeRegistration? = nil
  ) async throws -> DeviceAddress {
    let device = try DeviceAddress(parsing: address)
    let request = TestDevice(device.user.description, device.deviceID).registerRequest(oneTime: oneTime)
    var registration = Registration(
      device: device, fingerprint: Fingerprint(bytes: Array(randomBytes(32))), identityKey: request.identityKey,
      signedPrekey: request.signedPrekey, lastResortKemPrekey: request.lastResortKemPrekey,
      oneTimePrekeys: request.oneTimePrekeys, oneTimeKemPrekeys: request.oneTimeKemPrekeys,
      inviteCode: nil, linkCode: link, policy: .open, maxDevicesPerUser: 8)
    registration.home = home
    _ = try await self.store.register(registration, nowMs: 1)
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

  /// The receipts in `device`'s mailbox, in cursor order.
  func receipts(of device: DeviceAddress) async throws -> [Relay_V1_Receipt] {
    try await self.store.mailbox(of: device, after: 0, limit: 100).compactMap { entry in
      if case .receipt(let receipt) = entry.entry { receipt } else { nil }
    }
  }

  func send(
    _ from: DeviceAddress, _ conversation: String, to devices: [DeviceAddress], id: String = newMessageID()
  ) -> SendCommand {
    SendCommand(
      sender: from, messageID: try! MessageID(parsing: id), conversationID: conversation,
      copies: devices.map { .init(device: $0, ciphertext: Data("c-\($0)".utf8)) }, originRelay: "localhost")
  }
}
