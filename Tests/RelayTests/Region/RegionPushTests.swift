import Foundation
import SwiftProtobuf
import Testing
import Wire

@testable import Relay
@testable import RelayCore
@testable import RelayTestSupport

/// Push wake-ups on a region of two nodes sharing PostgreSQL and Redis, one
/// HTTPS gateway (docs/push.md). A marker device's wake-up tells that every
/// commit before it was handled, instead of a sleep.
@Suite("Push wake-ups in a region", .timeLimit(Patience.minutes(3)))
struct RegionPushTests {
  @Test("two nodes wake an offline device once; a device connected to the other node is not woken")
  func onceAcrossNodes() async throws {
    try await TestPushGateway.with { gateway in
      let region = try await TestRegion.make()
      try await region.node("a", configure: { $0.push = .testing(gateway) }) { nodeA in
        try await region.node("b", configure: { $0.push = .testing(gateway) }) { nodeB in
          let alice = TestDevice(region.user("alice"))
          let bob = TestDevice(region.user("bob"))
          var markers = [TestDevice]()
          for (device, token) in [
            (bob, "bob-token"), (TestDevice(region.user("carol")), "carol-token"),
            (TestDevice(region.user("dave")), "dave-token"),
          ] {
            try await device.withClient(nodeB) { client in
              try await device.register(client)
              _ = try await client.setPushEndpoint(
                .with {
                  $0.endpoint = .with {
                    $0.kind = .webhook
                    $0.token = token
                  }
                })
            }
            if device.user != bob.user { markers.append(device) }
          }
          try await alice.withClient(nodeA) { a in
            try await alice.register(a)
            let chats = try await [bob, markers[0], markers[1]].asyncMap { device in
              try await a.createConversation(
                .with {
                  $0.kind = .direct
                  $0.members = [device.user]
                }
              ).id
            }
            let send = { (chat: String, to: TestDevice, text: String) in
              _ = try await a.send(sendRequest(chat, to: ["\(to.user)/phone"], text: text, messageID: newMessageID()))
            }
            // Offline: 20 messages through node a, one wake-up, whichever node sends it.
            for index in 0 ..< 20 { try await send(chats[0], bob, "offline \(index)") }
            try await send(chats[1], markers[0], "marker")
            let first = try await gateway.waitForToken("carol-token")
            #expect(first.tokens("bob-token") == 1)

            // Online on node b: a message through node a wakes no one.
            try await bob.withClient(nodeB) { b in
              try await withSession(b) { session in
                let backlog = try await session.catchUp()
                session.send(.with { $0.ack.cursor = backlog.last?.envelope.cursor ?? 0 })
                try await send(chats[0], bob, "online")
                let envelope = try await session.envelope()
                session.send(.with { $0.ack.cursor = envelope.cursor })
                try await send(chats[2], markers[1], "marker")
                let second = try await gateway.waitForToken("dave-token")
                #expect(second.tokens("bob-token") == 1)
              }
            }
          }
          _ = nodeA
        }
      }
    }
  }
}

extension Sequence {
  func asyncMap<T>(_ transform: (Element) async throws -> T) async throws -> [T] {
    var mapped = [T]()
    for element in self { mapped.append(try await transform(element)) }
    return mapped
  }
}
