import Foundation
import GRPCCore
import SwiftProtobuf
import Testing
import Wire

@testable import Relay
@testable import RelayCore
@testable import RelayStorePostgres
@testable import RelayStoreSQLite
@testable import RelayTestSupport

/// Where a test's relay keeps its data: the embedded store, or a region node on PostgreSQL.
enum Backend: String, CaseIterable, Sendable, CustomTestStringConvertible {
  case embedded, postgres
  var testDescription: String { self.rawValue }
}

/// ``withPair(configure:_:)`` on either backend.
func withPair<T: Sendable>(
  on backend: Backend, _ body: (TestRelay, TestDevice, RelayClient, TestDevice, RelayClient, String) async throws -> T
) async throws -> T {
  switch backend {
  case .embedded:
    return try await withPair(body)
  case .postgres:
    let region = try await TestRegion.make()
    return try await region.node("n1") { node in
      try await region.pair(node, node) { try await body(node, $0, $1, $2, $3, $4) }
    }
  }
}

/// Values past what the stores can hold, text they cannot hold, and lists
/// past the limits: a precise status, nothing written, and the relay (on
/// either backend) keeps serving.
@Suite("Out-of-range integers, control characters and oversized lists", .timeLimit(Patience.minutes(5)))
struct WireValueTests {
  @Test(
    "an ack cursor or read mark past 2^63 - 1 gets OUT_OF_RANGE and the relay keeps delivering",
    arguments: Backend.allCases)
  func integersPastInt64(backend: Backend) async throws {
    try await withPair(on: backend) { relay, alice, a, bob, b, chat in
      try await withSession(b) { bobSession in
        _ = try await bobSession.catchUp()
        bobSession.send(.with { $0.ack.cursor = 1 << 63 })
        let ack = try await bobSession.errorFrame()
        #expect(ack.code == Int32(RPCError.Code.outOfRange.rawValue))
        #expect(ack.message == "ack cursor must be at most \(Int64.max)")
        bobSession.send(
          .with {
            $0.read.conversationID = chat
            $0.read.upToSeq = .max
          })
        let read = try await bobSession.errorFrame()
        #expect(read.code == Int32(RPCError.Code.outOfRange.rawValue))
        // Alive and unchanged: a message still goes through, and is acked normally.
        try await withSession(a) { aliceSession in
          _ = try await aliceSession.catchUp()
          _ = try await aliceSession.sendMessage(chat, to: [bob.address], text: "still").get()
        }
        let envelope = try await bobSession.envelope()
        #expect(openedText(envelope) == "still")
        bobSession.send(.with { $0.ack.cursor = envelope.cursor })
      }
    }
  }

  @Test(
    "NUL and other control characters in ids, names, codes and page tokens: INVALID_ARGUMENT",
    arguments: Backend.allCases)
  func controlCharacters(backend: Backend) async throws {
    try await withPair(on: backend) { relay, alice, a, bob, b, chat in
      for id in ["\u{0}", "chat\u{0}", "line\nbreak"] {
        #expect(await statusCode { _ = try await a.getHistory(.with { $0.conversationID = id }) } == .invalidArgument)
        #expect(
          await statusCode { _ = try await a.getConversation(.with { $0.conversationID = id }) } == .invalidArgument)
      }
      #expect(
        await statusCode {
          _ = try await a.getHistory(
            .with {
              $0.conversationID = chat
              $0.pageToken = "1:2:\u{0}"
            })
        } == .invalidArgument)
      #expect(
        await statusCode { _ = try await a.listConversations(.with { $0.pageToken = "1:\u{0}" }) } == .invalidArgument)
      #expect(
        await statusCode {
          _ = try await a.createConversation(
            .with {
              $0.kind = .group
              $0.name = "nul\u{0}name"
              $0.members = [bob.user]
            })
        } == .invalidArgument)
      // The relay answers the next call as usual.
      let history = try await a.getHistory(.with { $0.conversationID = chat })
      #expect(history.envelopes.isEmpty)
    }
  }

  @Test("a group of 150,000 members is refused RESOURCE_EXHAUSTED before any member is looked at")
  func oversizedMemberList() async throws {
    try await withPair { relay, alice, a, bob, b, chat in
      // Distinct, valid and unknown: before, each was parsed, compared with every other and looked up.
      let members = (0 ..< 150_000).map { "u\($0)@localhost" }
      // Encoding and decoding 2 MB of names takes seconds under ThreadSanitizer:
      // room past the SDK's 30 s, so the answer, not the clock, decides.
      var patient = CallOptions.defaults
      patient.timeout = .seconds(150)
      let error = await #expect(throws: RPCError.self) {
        _ = try await a.createConversation(
          .with {
            $0.kind = .group
            $0.members = members
          }, options: patient)
      }
      #expect(error?.code == .resourceExhausted)
      let add = await #expect(throws: RPCError.self) {
        _ = try await a.addMembers(
          .with {
            $0.conversationID = chat
            $0.users = members
          }, options: patient)
      }
      #expect(add?.code == .resourceExhausted)
      // Repeats of one user count once: a list of the same member 3 times is a group of two.
      let group = try await a.createConversation(
        .with {
          $0.kind = .group
          $0.members = [bob.user, bob.user, bob.user]
        })
      #expect(group.members.count == 2)
    }
  }
}
