import Crypto
import Foundation
import GRPCCore
import Logging
import RelaySDK
import SwiftProtobuf
import Testing
import Wire

@testable import Relay
@testable import RelayCore
@testable import RelayTestSupport

/// Push wake-ups through a real relay and a real HTTPS gateway (docs/push.md).
///
/// "No more wake-ups" is never waited for with a sleep: a marker device
/// (carol) is sent one message after the fact, and the gateway seeing
/// carol's wake-up means every commit before it was handled.
@Suite("Push wake-ups through an HTTPS gateway", .timeLimit(Patience.minutes(3)))
struct PushTests {
  let alice = TestDevice("alice@localhost")
  let bob = TestDevice("bob@localhost")
  let carol = TestDevice("carol@localhost")

  @Test("an offline device is woken once for a burst of 100, with no content, signed with its secret")
  func burst() async throws {
    try await TestPushGateway.with { gateway in
      try await withRelay(configure: { $0.push = .testing(gateway) }) { relay in
        let (toBob, toCarol) = try await self.setUp(relay, secret: Data("bob's secret".utf8))
        try await self.alice.withClient(relay) { a in
          for index in 0 ..< 100 { _ = try await a.send(self.message(toBob, to: "bob", "burst \(index)")) }
          _ = try await a.send(self.message(toCarol, to: "carol", "marker"))
        }
        let requests = try await gateway.waitForToken("carol-token")
        let toBobs = requests.filter { $0.json?["token"] as? String == "bob-token" }
        #expect(toBobs.count == 1)
        let wake = try #require(toBobs.first)
        let json = try #require(wake.json)
        #expect(Set(json.keys) == ["token", "device", "waiting", "sent_at_ms"])
        #expect(json["device"] as? String == "bob@localhost/phone")
        #expect((json["waiting"] as? Int ?? 0) >= 1)
        // Nothing the relay could only have learned from the messages.
        let text = String(decoding: wake.body, as: UTF8.self)
        for secret in ["alice", toBob, "burst", "sealed"] { #expect(!text.contains(secret)) }
        let mac = HMAC<SHA256>.authenticationCode(
          for: wake.body, using: SymmetricKey(data: Data("bob's secret".utf8)))
        let signature = wake.headers.first { $0.0.lowercased() == "x-relay-signature" }?.1
        #expect(signature == "sha256=" + mac.map { String(format: "%02x", $0) }.joined())
      }
    }
  }

  @Test("a device that is online gets no wake-up")
  func online() async throws {
    try await TestPushGateway.with { gateway in
      try await withRelay(configure: { $0.push = .testing(gateway) }) { relay in
        let (toBob, toCarol) = try await self.setUp(relay)
        try await self.bob.withClient(relay) { b in
          try await withSession(b) { session in
            _ = try await session.catchUp()
            try await self.alice.withClient(relay) { a in
              _ = try await a.send(self.message(toBob, to: "bob", "live"))
              let envelope = try await session.envelope()
              session.send(.with { $0.ack.cursor = envelope.cursor })
              _ = try await a.send(self.message(toCarol, to: "carol", "marker"))
            }
            let requests = try await gateway.waitForToken("carol-token")
            #expect(requests.tokens("bob-token") == 0)
          }
        }
      }
    }
  }

  @Test("a gateway answering 503 three times, then 200, gets the wake-up once more each time, then no more")
  func retries() async throws {
    try await TestPushGateway.with { gateway in
      try await withRelay(configure: { $0.push = .testing(gateway) }) { relay in
        let (toBob, toCarol) = try await self.setUp(relay)
        gateway.answer([503, 503, 503])
        try await self.alice.withClient(relay) { a in
          _ = try await a.send(self.message(toBob, to: "bob", "retried"))
          let requests = try await gateway.waitForToken("bob-token", count: 4)
          #expect(requests.tokens("bob-token") == 4)
          _ = try await a.send(self.message(toCarol, to: "carol", "marker"))
        }
        let requests = try await gateway.waitForToken("carol-token")
        #expect(requests.tokens("bob-token") == 4)
      }
    }
  }

  @Test("410 removes the endpoint; without a gateway, or with a bad token, setting one is refused")
  func goneAndRefused() async throws {
    try await TestPushGateway.with { gateway in
      try await withRelay(configure: { $0.push = .testing(gateway) }) { relay in
        let (toBob, _) = try await self.setUp(relay)
        gateway.answer([410])
        try await self.alice.withClient(relay) { a in
          _ = try await a.send(self.message(toBob, to: "bob", "gone"))
        }
        try await gateway.waitForToken("bob-token")
        try await self.bob.withClient(relay) { b in
          let device = try DeviceAddress(parsing: "bob@localhost/phone")
          try await ChildProcess.waitUntil("the endpoint is removed") {
            try await relay.store!.pushEndpoint(for: device) == nil
          }
          #expect(try await b.removePushEndpoint(.init()).removed == false)
          let bad = await #expect(throws: RPCError.self) {
            try await b.setPushEndpoint(
              .with {
                $0.endpoint = .with {
                  $0.kind = .webhook
                  $0.token = "has space"
                }
              })
          }
          #expect(bad?.code == .invalidArgument)
        }
      }
    }
    try await withRelay { relay in
      try await self.bob.withClient(relay) { b in
        try await self.bob.register(b)
        let refused = await #expect(throws: RPCError.self) {
          try await b.setPushEndpoint(
            .with {
              $0.endpoint = .with {
                $0.kind = .webhook
                $0.token = "t"
              }
            })
        }
        #expect(refused?.code == .failedPrecondition)
        #expect(refused?.message == "this relay has no push gateway")
      }
    }
  }

  @Test("a wake-up the gateway never got survives a restart of the relay and is sent after it")
  func survivesRestart() async throws {
    let directory = makeTemporaryDirectory()
    try await TestPushGateway.with { gateway in
      // First run: the gateway is an address where nothing listens.
      var unreachable = RelayConfiguration.Push.testing(gateway)
      unreachable.gateway = "https://127.0.0.1:\(try await freePort())/wake"
      // A call cut short by the shutdown leaves a claim of twice the timeout and a second.
      unreachable.timeout = .seconds(1)
      let toBob = try await withRelay(dataDirectory: directory, configure: { $0.push = unreachable }) { relay in
        let (toBob, _) = try await self.setUp(relay)
        try await self.alice.withClient(relay) { a in
          _ = try await a.send(self.message(toBob, to: "bob", "while the gateway is down"))
        }
        return toBob
      }
      #expect(gateway.requests.isEmpty)
      // Second run, on the same data: the gateway is up.
      try await withRelay(dataDirectory: directory, configure: { $0.push = .testing(gateway) }) { _ in
        let requests = try await gateway.waitForToken("bob-token")
        #expect(requests.first?.json?["waiting"] as? Int == 1)
      }
      _ = toBob
    }
  }

  @Test("a relay refuses to start with a push gateway that is no http(s) URL with a host")
  func badGateway() throws {
    for gateway in ["push.example/wake", "ftp://push.example", "https://"] {
      var configuration = RelayConfiguration.defaults
      configuration.dataDirectory = makeTemporaryDirectory()
      configuration.push.gateway = gateway
      let error = #expect(throws: RelayError.self) {
        _ = try RelayNode(configuration: configuration, logger: Logger(label: "test"))
      }
      #expect(error?.code == .invalidArgument, "\(gateway)")
    }
  }

  @Test("kill -9 of the relay while the gateway holds the call: the wake-up is sent after the relay starts again")
  func killedMidCall() async throws {
    try await TestPushGateway.with { gateway in
      gateway.answer([0])  // the first call is never answered
      // A short call timeout, so the claim of the killed run lapses soon (twice the timeout and a second).
      try await ServedRelay.with(config: gateway.configYAML(timeoutMs: 2000)) { relay in
        let alice = try await Home.register("alice@localhost", "phone", on: relay)
        let bob = try await Home.register("bob@localhost", "phone", on: relay)
        try await bob.open { try await $0.setPushEndpoint(token: "bob-token") }
        _ = try await alice.open { device in
          try await device.send("while bob sleeps", to: try await device.conversationID(for: "bob@localhost"))
        }
        try await gateway.waitForToken("bob-token")
        try await relay.killAndStartAgain()
        let requests = try await gateway.waitForToken("bob-token", count: 2)
        #expect(requests.tokens("bob-token") == 2)
        #expect(requests.last?.json?["waiting"] as? Int == 1)
      }
    }
  }

  /// Registers alice, bob and carol; bob and carol set endpoints; returns the
  /// direct conversations alice–bob and alice–carol. Bob and carol are offline.
  private func setUp(_ relay: TestRelay, secret: Data = Data()) async throws -> (String, String) {
    for (device, token) in [(self.bob, "bob-token"), (self.carol, "carol-token")] {
      try await device.withClient(relay) { client in
        try await device.register(client)
        _ = try await client.setPushEndpoint(
          .with {
            $0.endpoint = .with {
              $0.kind = .webhook
              $0.token = token
              $0.secret = token == "bob-token" ? secret : Data()
            }
          })
      }
    }
    return try await self.alice.withClient(relay) { a in
      try await self.alice.register(a)
      let toBob = try await a.createConversation(
        .with {
          $0.kind = .direct
          $0.members = ["bob@localhost"]
        })
      let toCarol = try await a.createConversation(
        .with {
          $0.kind = .direct
          $0.members = ["carol@localhost"]
        })
      return (toBob.id, toCarol.id)
    }
  }

  private func message(_ conversation: String, to user: String, _ text: String) -> Relay_V1_SendRequest {
    sendRequest(conversation, to: ["\(user)@localhost/phone"], text: text, messageID: newMessageID())
  }
}
