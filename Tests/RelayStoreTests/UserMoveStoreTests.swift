import Foundation
import Logging
import TLSIdentity
import Testing
import Wire

@testable import RelayCore
@testable import RelayStorePostgres
@testable import RelayStoreSQLite
@testable import RelayTestSupport

/// Moving a user between regions (docs/regions.md, "Moving a user"), store to
/// store: the old home's hand-off and the new home's arrival, on each backend.
@Suite("Storage: moving a user between regions", .timeLimit(Patience.minutes(3)))
struct UserMoveStoreTests {
  static let eu = LocalRegion(domain: "localhost", name: "eu", siblings: ["us", "ap"])
  static let us = LocalRegion(domain: "localhost", name: "us", siblings: ["eu", "ap"])

  static func rules(_ region: LocalRegion) -> FederationRules {
    FederationRules(localDomain: "localhost", maxEnvelopeBytes: 1024, maxCopies: 16, maxMembers: 16, region: region)
  }

  /// The transfer checked as us will check it.
  static let checkedByUS: @Sendable (Relay_V1_UserTransfer) throws(RelayError) -> Void = {
    transfer throws(RelayError) in
    _ = try Self.rules(Self.eu).asRegion("us").check(transfer, from: "localhost#eu")
  }

  static func entry(_ id: UInt64, _ event: Relay_V1_FederationEvent) -> Relay_V1_OutboxEvent {
    var entry = Relay_V1_OutboxEvent()
    entry.id = id
    entry.event = event
    return entry
  }

  @Test(
    "the old home hands alice off in one transaction and the new home takes her devices, keys and undelivered entries at their cursors; forged transfers and forwards are refused and write nothing; a redelivery changes nothing; an oversized transfer fails and changes nothing",
    arguments: StoreBackend.all)
  func handOffAndArrive(_ backend: StoreBackend) async throws {
    try await Self.withRegions(backend) { old, new in try await Self.handOffAndArrive(old: old, new: new) }
  }

  typealias RegionStore = any FederationStore & MoveStore

  /// Two stores of `backend`, each its own database: regions eu and us.
  static func withRegions(
    _ backend: StoreBackend, _ body: (RegionStore, RegionStore) async throws -> Void
  ) async throws {
    switch backend {
    case .sqlite:
      try await body(
        try SQLiteStore(directory: makeTemporaryDirectory(), region: Self.eu),
        try SQLiteStore(directory: makeTemporaryDirectory(), region: Self.us))
    case .postgres:
      var stores = [PostgresStore]()
      for region in [Self.eu, Self.us] {
        stores.append(
          try PostgresStore(
            url: try await TestDatabases.makePostgresDatabase(), poolSize: 2, leaseTimeout: .seconds(60),
            region: region, logger: Logger(label: "test.postgres")))
      }
      try await withThrowingTaskGroup(of: Void.self) { group in
        for store in stores { group.addTask { try await store.run() } }
        do {
          for store in stores { _ = try await store.migrate() }
          try await body(stores[0], stores[1])
        } catch {
          group.cancelAll()
          throw error
        }
        group.cancelAll()
      }
    }
  }

  /// alice and bob registered in eu (`old`), bob's messages in their chat undelivered to alice's phone.
  static func aliceReading(
    _ texts: [Data], from old: RegionStore
  ) async throws -> (alice: UserAddress, claim: HomeClaim, phone: DeviceAddress) {
    let fixture = StoreFixture(store: old)
    let alice = try UserAddress(parsing: "alice@localhost")
    let claim = HomeClaim(user: alice, region: "eu", claimedHLC: 100, version: 1)
    let phone = try await fixture.register(
      "alice@localhost/phone", home: HomeRegistration(claim: claim, siblings: Self.eu.siblingRelays))
    let bob = try await fixture.register(
      "bob@localhost/phone",
      home: HomeRegistration(
        claim: HomeClaim(user: try UserAddress(parsing: "bob@localhost"), region: "eu", claimedHLC: 101, version: 1),
        siblings: Self.eu.siblingRelays))
    let chat = try await old.createConversation(
      NewConversation(
        id: "", kind: .direct, name: "", creator: bob.user, others: [alice], homeRelay: "localhost#eu", nowMs: 10,
        maxMembers: 16))
    for text in texts {
      let send = SendCommand(
        sender: bob, messageID: try MessageID(parsing: newMessageID()), conversationID: chat.id,
        copies: [.init(device: phone, ciphertext: text)], originRelay: "localhost#eu")
      _ = try await old.commit([send], clock: fixture.clock).map { try $0.get() }
    }
    return (alice, claim, phone)
  }

  static func handOffAndArrive(old: RegionStore, new: RegionStore) async throws {
    let (alice, claim, phone) = try await Self.aliceReading(["one", "two", "three"].map { Data($0.utf8) }, from: old)
    try await old.createLinkCode("code", for: alice, expiresAtMs: .max)
    _ = try await old.acknowledge(device: phone, upTo: 1, nowMs: 20)
    let undelivered = try await old.mailbox(of: phone, after: 1, limit: 10)
    #expect(undelivered.map(\.envelope.ciphertext) == [Data("two".utf8), Data("three".utf8)])
    // us knows alice is homed in eu, as every region does.
    _ = try await new.apply([Self.entry(1, claim.event)], from: "localhost#eu", rules: Self.rules(Self.us))

    // A transfer that would not fit fails and changes nothing.
    var move = try await old.requestMove(of: alice, to: "us", region: Self.eu, nowMs: 30)
    #expect(move.version == 2 && move.phase == .requested)
    let outboxBefore = try await old.outbox(for: "localhost#us", after: 0, limit: 100).count
    let failed = try await old.handOff(
      move, region: Self.eu, claimedHLC: 500, maxBytes: 100, nowMs: 31, check: Self.checkedByUS)
    #expect(failed.phase == .failed && failed.failure.contains("over 100 bytes"))
    #expect(try await old.home(of: alice) == claim)
    #expect(try await old.devices(of: alice).count == 1)
    #expect(try await old.outbox(for: "localhost#us", after: 0, limit: 100).count == outboxBefore)

    // One the new home's rules would refuse fails the same way: nothing of alice is deleted here.
    move = try await old.requestMove(of: alice, to: "us", region: Self.eu, nowMs: 35)
    let refusedThere = try await old.handOff(move, region: Self.eu, claimedHLC: 550, maxBytes: 1 << 20, nowMs: 36) {
      _ throws(RelayError) in
      throw RelayError(.resourceExhausted, "over the new home's limits")
    }
    #expect(refusedThere.phase == .failed && refusedThere.failure == "over the new home's limits")
    #expect(try await old.devices(of: alice).count == 1)

    move = try await old.requestMove(of: alice, to: "us", region: Self.eu, nowMs: 40)
    let done = try await old.handOff(
      move, region: Self.eu, claimedHLC: 600, maxBytes: 1 << 20, nowMs: 41, check: Self.checkedByUS)
    #expect(done.phase == .handedOff)
    #expect(try await old.home(of: alice) == HomeClaim(user: alice, region: "us", claimedHLC: 600, version: 2))
    #expect(try await old.devices(of: alice).isEmpty)
    let transfer = try #require(try await old.outbox(for: "localhost#us", after: 0, limit: 100).last?.event)
    #expect(transfer.userTransfer.devices.map(\.deviceID) == ["phone"])
    #expect(transfer.userTransfer.entries.map(\.cursor) == [2, 3])

    // From a region alice was not homed in, and forwards from a region she did not move from: refused, nothing written.
    let forged = try await new.apply([Self.entry(5, transfer)], from: "localhost#ap", rules: Self.rules(Self.us))
    // (Its claim names eu as the region she moved from, not the sender.)
    #expect(forged.rejected.map(\.code) == [.invalidArgument])
    #expect(try await new.devices(of: alice).isEmpty)
    var forward = Relay_V1_FederationEvent()
    forward.moveForward.user = alice.description
    forward.moveForward.message = Relay_V1_ReplicatedMessage()
    let refused = try await new.apply([Self.entry(6, forward)], from: "localhost#eu", rules: Self.rules(Self.us))
    #expect(refused.rejected.count == 1)

    let arrival = try await new.apply([Self.entry(7, transfer)], from: "localhost#eu", rules: Self.rules(Self.us))
    #expect(arrival.rejected.isEmpty && arrival.arrived == 1)
    #expect(try await new.home(of: alice) == HomeClaim(user: alice, region: "us", claimedHLC: 600, version: 2))
    let devices = try await new.devices(of: alice)
    #expect(devices.map(\.address) == [phone])
    // The old home answers "moved to" for alice's phone.
    #expect(try await old.regionDevice(fingerprint: try #require(devices.first).fingerprint) == alice)
    let moved = try await new.mailbox(of: phone, after: 1, limit: 10)
    #expect(moved.map(\.envelope.cursor) == undelivered.map(\.envelope.cursor))
    #expect(moved.map(\.envelope.ciphertext) == undelivered.map(\.envelope.ciphertext))
    #expect(moved.map(\.envelope.messageID) == undelivered.map(\.envelope.messageID))
    #expect(try await new.ackedCursor(of: phone) == 1)
    let told = try await new.outbox(for: "localhost#ap", after: 0, limit: 10).map(\.event)
    #expect(told.contains(HomeClaim(user: alice, region: "us", claimedHLC: 600, version: 2, movedFrom: "eu").event))
    // us awaits ap's marker and its own, which it sent eu at once (docs/regions.md, "Arrival order across a move").
    #expect(try await new.moves(of: alice, limit: 10).map(\.awaitingMarkers) == [["ap", "us"]])
    let ownMarker = MoveMarker(user: alice, version: 2, region: "us")
    let toEU = try await new.outbox(for: "localhost#eu", after: 0, limit: 10).map(\.event)
    #expect(toEU.last == ownMarker.event, "\(toEU)")
    // A move while she is awaited is refused.
    let early = await #expect(throws: RelayError.self) {
      try await new.requestMove(of: alice, to: "eu", region: Self.us, nowMs: 50)
    }
    #expect(early?.code == .unavailable)
    // eu passes us's own marker back; the forward of it from ap (where she never lived) is refused.
    var passedOn = Relay_V1_FederationEvent()
    passedOn.moveForward.user = alice.description
    passedOn.moveForward.marker = ownMarker.wire
    let notFromAP = try await new.apply([Self.entry(9, passedOn)], from: "localhost#ap", rules: Self.rules(Self.us))
    #expect(notFromAP.rejected.map(\.code) == [.permissionDenied])
    let back = try await new.apply([Self.entry(10, passedOn)], from: "localhost#eu", rules: Self.rules(Self.us))
    #expect(back.rejected.isEmpty)
    #expect(try await new.moves(of: alice, limit: 10).map(\.awaitingMarkers) == [["ap"]])
    // eu, the old home, passes a marker from ap on to us, behind what it passed on.
    var fromAP = Relay_V1_FederationEvent()
    fromAP.moveMarker = MoveMarker(user: alice, version: 2, region: "ap").wire
    let relayed = try await old.apply([Self.entry(11, fromAP)], from: "localhost#ap", rules: Self.rules(Self.eu))
    #expect(relayed.rejected.isEmpty)
    let passed = try #require(try await old.outbox(for: "localhost#us", after: 0, limit: 100).last?.event)
    #expect(passed.moveForward.marker == fromAP.moveMarker)
    _ = try await new.apply([Self.entry(12, passed)], from: "localhost#eu", rules: Self.rules(Self.us))
    #expect(try await new.moves(of: alice, limit: 10).map(\.awaitingMarkers) == [[]])

    // A redelivery changes nothing.
    let again = try await new.apply([Self.entry(8, transfer)], from: "localhost#eu", rules: Self.rules(Self.us))
    #expect(again.rejected.isEmpty && again.arrived == 0)
    #expect(try await new.mailbox(of: phone, after: 0, limit: 10).count == 2)
    #expect(try await old.moves(of: alice, limit: 10).map(\.phase) == [.handedOff])
  }

  @Test(
    "a transfer too large for one event goes in parts: the new home keeps the first aside, applies the whole with the last, once; a part from a region she is not homed in is refused",
    arguments: StoreBackend.all)
  func inParts(_ backend: StoreBackend) async throws {
    try await Self.withRegions(backend) { old, new in try await Self.inParts(old: old, new: new) }
  }

  static func inParts(old: RegionStore, new: RegionStore) async throws {
    let texts = (0 ..< 40).map { Data(repeating: UInt8($0), count: 900) }
    let (alice, claim, phone) = try await Self.aliceReading(texts, from: old)
    _ = try await new.apply([Self.entry(1, claim.event)], from: "localhost#eu", rules: Self.rules(Self.us))

    let move = try await old.requestMove(of: alice, to: "us", region: Self.eu, nowMs: 30)
    let done = try await old.handOff(
      move, region: Self.eu, claimedHLC: 600, maxBytes: 16_000, nowMs: 31, check: Self.checkedByUS)
    #expect(done.phase == .handedOff, "\(done.failure)")
    let parts = try await old.outbox(for: "localhost#us", after: 0, limit: 100).map(\.event).filter {
      $0.userTransfer.claim.version == 2
    }
    try #require(parts.count > 2)
    #expect(parts.allSatisfy { $0.userTransfer.parts == UInt32(parts.count) })
    #expect(parts.allSatisfy { $0.userTransfer.serializedSize <= 16_000 })

    let forged = try await new.apply([Self.entry(2, parts[0])], from: "localhost#ap", rules: Self.rules(Self.us))
    #expect(forged.rejected.count == 1)
    // The first parts, each twice: kept aside once, nothing of alice here yet.
    var id: UInt64 = 3
    for part in parts.dropLast() {
      for _ in 0 ..< 2 {
        let kept = try await new.apply([Self.entry(id, part)], from: "localhost#eu", rules: Self.rules(Self.us))
        #expect(kept.rejected.isEmpty && kept.arrived == 0)
        id += 1
      }
    }
    #expect(try await new.devices(of: alice).isEmpty)
    let arrival = try await new.apply(
      [Self.entry(id, try #require(parts.last))], from: "localhost#eu", rules: Self.rules(Self.us))
    #expect(arrival.rejected.isEmpty && arrival.arrived == 1)
    let mailbox = try await new.mailbox(of: phone, after: 0, limit: 100)
    #expect(mailbox.map(\.envelope.cursor) == Array(1 ... 40))
    #expect(mailbox.map(\.envelope.ciphertext) == texts)
    // A first part again, after the arrival: nothing changes.
    let late = try await new.apply([Self.entry(id + 1, parts[0])], from: "localhost#eu", rules: Self.rules(Self.us))
    #expect(late.rejected.isEmpty)
    #expect(try await new.mailbox(of: phone, after: 0, limit: 100).count == 40)
  }
}
