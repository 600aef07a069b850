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

/// Runs `call` and returns the gRPC status code it failed with (nil: it succeeded).
func statusCode(_ call: () async throws -> Void) async -> RPCError.Code? {
  do {
    try await call()
    return nil
  } catch let error as RPCError {
    return error.code
  } catch {
    return .unknown
  }
}

@Suite("Registration and the key directory", .timeLimit(Patience.minutes(3)))
struct DirectoryTests {
  @Test("register binds the certificate's key; only Register works before that; a second binding is refused")
  func registration() async throws {
    try await withRelay { relay in
      let alice = TestDevice("alice@localhost")
      try await alice.withClient(relay) { client in
        #expect(await statusCode { _ = try await client.listConversations(.init()) } == .unauthenticated)
        #expect(await statusCode { _ = try await client.createLinkCode(.init()) } == .unauthenticated)
        let response = try await alice.register(client)
        #expect(response.device == "alice@localhost/phone")
        #expect(response.fingerprint == alice.fingerprint)
        // The same key again, even as another device, is refused; so is the same device id.
        #expect(await statusCode { try await alice.register(client) } == .alreadyExists)
        let conversations = try await client.listConversations(.init())
        #expect(conversations.conversations.isEmpty)
      }
      // Another key claiming alice's device id, or a new device of hers without a link code.
      let twin = TestDevice("alice@localhost", "phone")
      try await twin.withClient(relay) { client in
        #expect(await statusCode { try await twin.register(client) } == .alreadyExists)
      }
      let thief = TestDevice("alice@localhost", "evil")
      try await thief.withClient(relay) { client in
        #expect(await statusCode { try await thief.register(client) } == .permissionDenied)
      }
    }
  }

  @Test("bad registrations: wrong domain, bad ids, wrong key sizes, too many prekeys")
  func badRegistrations() async throws {
    try await withRelay { relay in
      let device = TestDevice("mallory@localhost")
      try await device.withClient(relay) { client in
        var request = device.registerRequest()
        request.user = "mallory@elsewhere.example"
        #expect(await statusCode { _ = try await client.register(request) } == .invalidArgument)
        request = device.registerRequest()
        request.user = "Mallory@localhost"
        #expect(await statusCode { _ = try await client.register(request) } == .invalidArgument)
        request = device.registerRequest()
        request.deviceID = "has space"
        #expect(await statusCode { _ = try await client.register(request) } == .invalidArgument)
        request = device.registerRequest()
        request.identityKey.signingKey = randomBytes(31)
        #expect(await statusCode { _ = try await client.register(request) } == .invalidArgument)
        request = device.registerRequest()
        request.lastResortKemPrekey.publicKey = randomBytes(800)
        #expect(await statusCode { _ = try await client.register(request) } == .invalidArgument)
        request = device.registerRequest()
        request.clearSignedPrekey()
        #expect(await statusCode { _ = try await client.register(request) } == .invalidArgument)
        request = device.registerRequest(oneTime: 201)
        #expect(await statusCode { _ = try await client.register(request) } == .resourceExhausted)
        // None of that left anything behind: the good request still works.
        try await device.register(client)
      }
    }
  }

  @Test("invite policy: new users need an unused operator invite")
  func invitePolicy() async throws {
    try await withRelay(configure: { $0.registration.policy = .invite }) { relay in
      try await relay.store!.createInvites(["invite-one"], nowMs: 0)
      let alice = TestDevice("alice@localhost")
      let bob = TestDevice("bob@localhost")
      try await alice.withClient(relay) { client in
        #expect(await statusCode { try await alice.register(client) } == .permissionDenied)
        #expect(await statusCode { try await alice.register(client, invite: "wrong") } == .permissionDenied)
        try await alice.register(client, invite: "invite-one")
      }
      try await bob.withClient(relay) { client in
        #expect(await statusCode { try await bob.register(client, invite: "invite-one") } == .permissionDenied)
      }
    }
  }

  @Test("a second device joins only with a link code from an existing one, up to the device limit")
  func linkedDevices() async throws {
    try await withRelay(configure: { $0.limits.maxDevicesPerUser = 2 }) { relay in
      let phone = TestDevice("alice@localhost", "phone")
      let laptop = TestDevice("alice@localhost", "laptop")
      let tablet = TestDevice("alice@localhost", "tablet")
      let code = try await phone.withClient(relay) { client in
        try await phone.register(client)
        return try await client.createLinkCode(.init()).linkCode
      }
      try await laptop.withClient(relay) { client in
        #expect(await statusCode { try await laptop.register(client) } == .permissionDenied)
        try await laptop.register(client, link: code)
        let devices = try await client.listDevices(.with { $0.user = "alice@localhost" })
        #expect(devices.devices.map(\.device) == ["alice@localhost/laptop", "alice@localhost/phone"])
      }
      let second = try await phone.withClient(relay) { try await $0.createLinkCode(.init()).linkCode }
      try await tablet.withClient(relay) { client in
        #expect(await statusCode { try await tablet.register(client, link: code) } == .resourceExhausted)
        #expect(await statusCode { try await tablet.register(client, link: second) } == .resourceExhausted)
      }
    }
  }

  @Test("an unknown user is NOT_FOUND alike for ListDevices, GetPrekeyBundle and CreateConversation")
  func unknownUser() async throws {
    try await withRelay { relay in
      let alice = TestDevice("alice@localhost")
      try await alice.withClient(relay) { client in
        try await alice.register(client)
        #expect(
          await statusCode { _ = try await client.listDevices(.with { $0.user = "nobody@localhost" }) } == .notFound)
        #expect(
          await statusCode { _ = try await client.getPrekeyBundle(.with { $0.user = "nobody@localhost" }) } == .notFound
        )
        #expect(
          await statusCode {
            _ = try await client.createConversation(
              .with {
                $0.kind = .direct
                $0.members = ["nobody@localhost"]
              })
          } == .notFound)
      }
    }
  }

  @Test("concurrent bundle fetches claim each one-time prekey exactly once, then say they ran out")
  func concurrentPrekeyClaims() async throws {
    try await withRelay { relay in
      let bob = TestDevice("bob@localhost")
      _ = try await bob.withClient(relay) { try await bob.register($0, oneTime: 20) }
      let fetchers = (0 ..< 4).map { TestDevice("fetcher\($0)@localhost") }
      let bundles = try await withThrowingTaskGroup(of: [Relay_V1_PrekeyBundle].self) { group in
        for fetcher in fetchers {
          group.addTask {
            try await fetcher.withClient(relay) { client in
              try await fetcher.register(client)
              var got = [Relay_V1_PrekeyBundle]()
              for _ in 0 ..< 8 {
                got += try await client.getPrekeyBundle(.with { $0.user = "bob@localhost" }).bundles
              }
              return got
            }
          }
        }
        return try await group.reduce(into: []) { $0 += $1 }
      }
      #expect(bundles.count == 32)
      let claimed = bundles.filter { !$0.oneTimePrekeysExhausted }
      #expect(claimed.count == 20)
      #expect(Set(claimed.map(\.oneTimePrekey.keyID)).count == 20)
      #expect(Set(claimed.map(\.kemPrekey.keyID)).count == 20)
      let exhausted = bundles.filter(\.oneTimePrekeysExhausted)
      #expect(exhausted.count == 12)
      #expect(exhausted.allSatisfy { !$0.hasOneTimePrekey && $0.kemPrekeyIsLastResort && $0.kemPrekey.keyID == 1 })
      #expect(bundles.allSatisfy { $0.signedPrekey.publicKey.count == 32 })
      // Replenish, and the next fetch gets one of the new keys.
      try await bob.withClient(relay) { client in
        let left = try await client.uploadPrekeys(
          .with {
            $0.oneTimePrekeys = [
              .with {
                $0.keyID = 900
                $0.publicKey = randomBytes(32)
              }
            ]
          })
        #expect(left.oneTimePrekeysLeft == 1)
        let bundle = try await client.getPrekeyBundle(
          .with {
            $0.user = "bob@localhost"
            $0.deviceID = "phone"
          })
        #expect(bundle.bundles.first?.oneTimePrekey.keyID == 900)
        #expect(
          await statusCode { _ = try await client.getPrekeyBundle(.with { $0.user = "nobody@localhost" }) } == .notFound
        )
        #expect(
          await statusCode {
            _ = try await client.uploadPrekeys(
              .with {
                $0.oneTimePrekeys = [
                  .with {
                    $0.keyID = 1
                    $0.publicKey = randomBytes(33)
                  }
                ]
              })
          } == .invalidArgument)
      }
    }
  }
}
