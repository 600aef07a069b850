import Foundation
import GRPCCore
import GRPCProtobuf
import NIOCore
import NIOPosix
import SwiftProtobuf
import Testing
import Wire

@testable import Relay
@testable import RelayCore
@testable import RelayStorePostgres
@testable import RelayStoreSQLite
@testable import RelayTestSupport

/// Two registered users with a direct conversation, for the tests below.
func withPair<T: Sendable>(
  configure: (inout RelayConfiguration) -> Void = { _ in },
  _ body: (TestRelay, TestDevice, RelayClient, TestDevice, RelayClient, String) async throws -> T
) async throws -> T {
  try await withRelay(configure: configure) { relay in
    try await withDirectChat(TestDevice("alice@localhost"), on: relay, TestDevice("bob@localhost"), on: relay) {
      try await body(relay, $0, $1, $2, $3, $4)
    }
  }
}

/// Alice connected to `aliceRelay` and Bob to `bobRelay` (the same relay, or
/// two nodes of a region), both registered, with a direct conversation.
func withDirectChat<T: Sendable>(
  _ alice: TestDevice, on aliceRelay: TestRelay, _ bob: TestDevice, on bobRelay: TestRelay,
  _ body: (TestDevice, RelayClient, TestDevice, RelayClient, String) async throws -> T
) async throws -> T {
  try await alice.withClient(aliceRelay) { a in
    try await bob.withClient(bobRelay) { b in
      try await alice.register(a)
      try await bob.register(b)
      let chat = try await a.createConversation(
        .with {
          $0.kind = .direct
          $0.members = [bob.user]
        })
      return try await body(alice, a, bob, b, chat.id)
    }
  }
}

/// Writes bytes that are not a protobuf message.
struct GarbageSerializer<Message: Sendable>: MessageSerializer {
  func serialize<Bytes: GRPCContiguousBytes>(_ message: Message) throws -> Bytes {
    Bytes([0x0A, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0x01])
  }
}

@Suite("Bad input gets a precise status and writes nothing", .timeLimit(Patience.minutes(3)))
struct BadInputTests {
  @Test("a send that misses or adds devices: FAILED_PRECONDITION listing them, nothing delivered")
  func deviceMismatch() async throws {
    try await withPair { relay, alice, a, bob, b, chat in
      let laptop = TestDevice("bob@localhost", "laptop")
      let code = try await b.createLinkCode(.init()).linkCode
      _ = try await laptop.withClient(relay) { try await laptop.register($0, link: code) }
      // Unary: the details travel as google.rpc.PreconditionFailure.
      do {
        _ = try await a.send(
          sendRequest(chat, to: [bob.address, "carol@localhost/phone"], text: "x", messageID: newMessageID()))
        Issue.record("a mismatched send was accepted")
      } catch let error as RPCError {
        #expect(error.code == .failedPrecondition)
        let status = try error.unpackGoogleRPCStatus()
        let violations = status?.details.compactMap(\.preconditionFailure).flatMap(\.violations) ?? []
        #expect(violations.filter { $0.type == "missing_device" }.map(\.subject) == [laptop.address])
        #expect(violations.filter { $0.type == "stale_device" }.map(\.subject) == ["carol@localhost/phone"])
      }
      // Stream: the error frame carries the same lists; the stream stays usable.
      try await withSession(a) { session in
        _ = try await session.catchUp()
        switch try await session.sendMessage(chat, to: [bob.address]) {
        case .success: Issue.record("a send missing a device was accepted")
        case .failure(let error):
          #expect(error.code == Int32(RPCError.Code.failedPrecondition.rawValue))
          #expect(error.missingDevices == [laptop.address])
          #expect(error.staleDevices.isEmpty)
        }
        _ = try await session.sendMessage(chat, to: [bob.address, laptop.address], text: "ok").get()
      }
      try await withSession(b) { session in
        let entries = try await session.catchUp()
        #expect(entries.map { openedText($0.envelope) } == ["ok"])
      }
    }
  }

  @Test("unknown conversation, non-member, malformed ids, empty frames")
  func wrongTargets() async throws {
    try await withPair { relay, alice, a, bob, b, chat in
      let eve = TestDevice("eve@localhost")
      try await eve.withClient(relay) { e in
        try await eve.register(e)
        #expect(
          await statusCode {
            _ = try await e.send(sendRequest(chat, to: [alice.address], text: "x", messageID: newMessageID()))
          } == .permissionDenied)
        #expect(
          await statusCode { _ = try await e.getHistory(.with { $0.conversationID = chat }) } == .permissionDenied)
        #expect(
          await statusCode { _ = try await e.getConversation(.with { $0.conversationID = chat }) } == .permissionDenied)
        #expect(
          await statusCode {
            _ = try await e.addMembers(
              .with {
                $0.conversationID = chat
                $0.users = ["eve@localhost"]
              })
          } == .permissionDenied)
      }
      #expect(
        await statusCode {
          _ = try await a.send(sendRequest("no-such-chat", to: [bob.address], text: "x", messageID: newMessageID()))
        } == .notFound)
      #expect(
        await statusCode {
          _ = try await a.send(sendRequest(chat, to: [bob.address], text: "x", messageID: "not-a-uuid"))
        } == .invalidArgument)
      #expect(
        await statusCode { _ = try await a.send(sendRequest(chat, to: ["bob"], text: "x", messageID: newMessageID())) }
          == .invalidArgument)
      #expect(
        await statusCode {
          _ = try await a.send(sendRequest(chat, to: [bob.address, bob.address], text: "x", messageID: newMessageID()))
        } == .invalidArgument)
      #expect(
        await statusCode {
          _ = try await a.createConversation(
            .with {
              $0.kind = .direct
              $0.members = ["nobody@localhost"]
            })
        } == .notFound)
      #expect(
        await statusCode { _ = try await a.createConversation(.with { $0.members = ["bob@localhost"] }) }
          == .invalidArgument)
      #expect(
        await statusCode {
          _ = try await a.removeMember(
            .with {
              $0.conversationID = chat
              $0.user = "bob@localhost"
            })
        } == .failedPrecondition)
      #expect(
        await statusCode { _ = try await a.listConversations(.with { $0.pageToken = "garbage" }) } == .invalidArgument)
      try await withSession(a) { session in
        _ = try await session.catchUp()
        session.send(Relay_V1_ClientFrame())
        #expect(try await session.errorFrame().code == Int32(RPCError.Code.invalidArgument.rawValue))
        session.send(
          .with {
            $0.typing = .with {
              $0.conversationID = "no-such-chat"
              $0.typing = true
            }
          })
        #expect(try await session.errorFrame().code == Int32(RPCError.Code.notFound.rawValue))
        session.send(.with { $0.presence.users = ["eve@localhost"] })
        #expect(try await session.errorFrame().code == Int32(RPCError.Code.permissionDenied.rawValue))
        // Still usable.
        _ = try await session.sendMessage(chat, to: [bob.address]).get()
      }
      // Nothing of the failures reached Bob.
      try await withSession(b) { session in
        let entries = try await session.catchUp()
        #expect(entries.count == 1)
      }
    }
  }

  @Test("a malformed protobuf message is INVALID_ARGUMENT")
  func malformedProtobuf() async throws {
    try await withPair { _, _, a, _, _, _ in
      let code = await statusCode {
        _ = try await a.listConversations(
          request: ClientRequest(message: Relay_V1_ListConversationsRequest()),
          serializer: GarbageSerializer(),
          deserializer: ProtobufDeserializer<Relay_V1_ListConversationsResponse>()
        ) { try $0.message }
      }
      #expect(code == .invalidArgument)
    }
  }

  @Test("replayed and future ack cursors are refused; the stream goes on")
  func cursors() async throws {
    try await withPair { _, alice, a, bob, b, chat in
      _ = try await a.send(sendRequest(chat, to: [bob.address], text: "one", messageID: newMessageID()))
      _ = try await a.send(sendRequest(chat, to: [bob.address], text: "two", messageID: newMessageID()))
      try await withSession(b) { session in
        let entries = try await session.catchUp()
        #expect(entries.count == 2)
        session.send(.with { $0.ack.cursor = 99 })
        #expect(try await session.errorFrame().code == Int32(RPCError.Code.outOfRange.rawValue))
        session.send(.with { $0.ack.cursor = entries[1].envelope.cursor })
        session.send(.with { $0.ack.cursor = entries[0].envelope.cursor })
        #expect(try await session.errorFrame().code == Int32(RPCError.Code.failedPrecondition.rawValue))
        session.send(
          .with {
            $0.read = .with {
              $0.conversationID = chat
              $0.upToSeq = 50
            }
          })
        #expect(try await session.errorFrame().code == Int32(RPCError.Code.outOfRange.rawValue))
      }
    }
  }

  @Test("a second stream for a device closes the first with ABORTED; the device stays online")
  func streamOpenedTwice() async throws {
    try await withPair { _, alice, a, bob, b, chat in
      try await withSession(b) { first in
        _ = try await first.catchUp()
        try await withSession(b) { second in
          _ = try await second.catchUp()
          let end = try await first.end()
          #expect(end?.code == .aborted)
          try await withSession(a) { watcher in
            _ = try await watcher.catchUp()
            watcher.send(.with { $0.presence.users = ["bob@localhost"] })
            let presence = try await watcher.next("bob's presence") { $0.hasPresence ? $0.presence : nil }
            #expect(presence.online)
          }
          _ = try await a.send(sendRequest(chat, to: [bob.address], text: "to-second", messageID: newMessageID()))
          #expect(openedText(try await second.envelope()) == "to-second")
        }
      }
    }
  }
}
