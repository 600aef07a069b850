import Foundation
import Testing
import Wire

@testable import RelayCore
@testable import RelayTestSupport

/// Acks' group commit: a batch is one transaction in which each ack succeeds
/// or fails alone, and a device's acks apply in the order they came.
@Suite("Ack batches", .timeLimit(Patience.minutes(3)))
struct AckBatchContractTests {
  @Test(
    "each ack of a batch succeeds or fails alone; a device's second ack applies after its first",
    arguments: StoreBackend.all)
  func acksOfOneBatch(_ backend: StoreBackend) async throws {
    try await backend.withFixture { fixture in
      let alice = try await fixture.register("alice@localhost/phone")
      let bob = try await fixture.register("bob@localhost/phone")
      let carol = try await fixture.register("carol@localhost/phone")
      let toBob = try await fixture.conversation(.direct, creator: "alice@localhost", others: ["bob@localhost"])
      let toCarol = try await fixture.conversation(.direct, creator: "alice@localhost", others: ["carol@localhost"])
      let sends = (0 ..< 4).flatMap { _ in
        [fixture.send(alice, toBob.id, to: [bob]), fixture.send(alice, toCarol.id, to: [carol])]
      }
      _ = try await fixture.store.commit(sends, clock: fixture.clock)
      let stranger = try DeviceAddress(parsing: "dave@localhost/phone")

      let results = try await fixture.store.acknowledge([
        AckCommand(device: bob, upTo: 2, atMs: 10),
        AckCommand(device: carol, upTo: 9, atMs: 10),  // beyond carol's head (4)
        AckCommand(device: stranger, upTo: 1, atMs: 10),  // no such device
        AckCommand(device: bob, upTo: 3, atMs: 11),  // bob again, after his first
        AckCommand(device: carol, upTo: UInt64.max, atMs: 12),  // past what a cursor can be
        AckCommand(device: bob, upTo: 3, atMs: 12),  // already acknowledged by the one before
        AckCommand(device: carol, upTo: 4, atMs: 13),
      ])
      #expect(results.count == 7)
      #expect(try results[0].get().map(\.device) == [alice])
      #expect(Self.code(results[1]) == .outOfRange)
      #expect(Self.code(results[2]) == .notFound)
      #expect(try results[3].get().map(\.device) == [alice])
      #expect(Self.code(results[4]) == .outOfRange)
      #expect(Self.code(results[5]) == .failedPrecondition)
      #expect(try results[6].get().map(\.device) == [alice])

      #expect(try await fixture.store.ackedCursor(of: bob) == 3)
      #expect(try await fixture.store.ackedCursor(of: carol) == 4)
      #expect(try await fixture.store.mailbox(of: bob, after: 0, limit: 10).map(\.envelope.cursor) == [4])
      #expect(try await fixture.store.mailbox(of: carol, after: 0, limit: 10).isEmpty)
      // One delivered receipt per applied ack, each for the newest message it covered.
      let receipts = try await fixture.receipts(of: alice)
      #expect(receipts.map { [$0.conversationID: $0.seq] } == [[toBob.id: 2], [toBob.id: 3], [toCarol.id: 4]])
      #expect(receipts.allSatisfy { $0.status == .delivered })
      #expect(receipts.map(\.atMs) == [10, 11, 13])
    }
  }

  private static func code(_ result: Result<[Doorbell], RelayError>) -> RelayError.Code? {
    if case .failure(let error) = result { error.code } else { nil }
  }
}
