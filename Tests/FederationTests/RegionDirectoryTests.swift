import Foundation
import GRPCCore
import RelaySDK
import SwiftProtobuf
import TLSIdentity
import Testing
import Wire

@testable import RelayTestSupport

extension FederationSuites {
  /// Regions of one domain (docs/regions.md): the replicated directory of homes.
  @Suite("Regions: the directory of homes", .timeLimit(Patience.minutes(5)))
  struct RegionDirectoryTests {
    @Test(
      "a user registered in one region is homed there in every region; registering the name, or connecting its device, in another region is refused with where the home is"
    )
    func homesReplicate() async throws {
      try await RegionMesh.with { mesh in
        let phone = TestDevice("alice@example.test", "phone")
        try await mesh.client(phone, "eu") { try await phone.register($0) }
        try await Self.waitForHome("alice@example.test", in: "eu", version: 1, on: mesh)

        let laptop = TestDevice("alice@example.test", "laptop")
        for region in ["us", "ap"] {
          let error = await #expect(throws: RPCError.self) {
            try await mesh.client(laptop, region) { try await laptop.register($0) }
          }
          Self.expectRedirect(error, to: "eu", from: region, mesh: mesh, user: "alice@example.test")
        }
        // The phone itself, connecting to another region, is told where its home is (once its keys got there)...
        for region in ["us", "ap"] {
          var redirect: RPCError?
          try await ChildProcess.waitUntil("\(region) redirects alice's phone", seconds: 60) {
            do {
              try await mesh.client(phone, region) { _ = try await $0.uploadPrekeys(.init()) }
            } catch let error as RPCError {
              redirect = error
            }
            return redirect?.code == .failedPrecondition
          }
          Self.expectRedirect(redirect, to: "eu", from: region, mesh: mesh, user: "alice@example.test")
        }
        // ... and works there.
        _ = try await mesh.client(phone, "eu") { try await $0.uploadPrekeys(.init()) }
      }
    }

    @Test(
      "two regions cut apart both register one name: on heal every region homes it where it was claimed first, and the other region's device is refused with where the home is (its live session ended)",
      arguments: [Set<String>(), ["eu", "us"]])
    func partitionedClaimsHeal(onPostgres: Set<String>) async throws {
      // us's clock runs 5 s ahead: its claim is certainly the later one.
      try await RegionMesh.with(postgres: onPostgres, clockSkewMs: ["us": 5000]) { mesh in
        await mesh.cutEUUS()
        let inEU = TestDevice("carol@example.test", "phone")
        let inUS = TestDevice("carol@example.test", "tablet")
        try await mesh.client(inEU, "eu") { try await inEU.register($0) }
        try await mesh.client(inUS, "us") { try await inUS.register($0) }
        #expect(try await mesh["us"].home(of: "carol@example.test")?.region == "us", "us has not heard of eu's claim")
        // Cut off from eu, us's own device is served.
        _ = try await mesh.client(inUS, "us") { try await $0.uploadPrekeys(.init()) }

        try await mesh.client(inUS, "us") { client in
          try await withSession(client) { session in
            _ = try await session.catchUp()
            try await mesh.healEUUS()
            let ended = try await session.end(timeout: .seconds(60))
            Self.expectRedirect(ended, to: "eu", from: "us", mesh: mesh, user: "carol@example.test")
          }
        }
        try await Self.waitForHome("carol@example.test", in: "eu", version: 1, on: mesh)
        let error = await #expect(throws: RPCError.self) {
          try await mesh.client(inUS, "us") { try await $0.uploadPrekeys(.init()) }
        }
        Self.expectRedirect(error, to: "eu", from: "us", mesh: mesh, user: "carol@example.test")
        _ = try await mesh.client(inEU, "eu") { try await $0.uploadPrekeys(.init()) }
      }
    }

    @Test(
      "another region may not change members, type or announce presence for a user homed elsewhere: PERMISSION_DENIED"
    )
    func regionsSpeakOnlyForTheirUsers() async throws {
      try await RegionMesh.with { mesh in
        let alice = try await Home.register("alice@example.test", "phone", on: mesh["eu"].relay)
        _ = try await Home.register("bob@example.test", "phone", on: mesh["eu"].relay)
        try await Self.waitForHome("alice@example.test", in: "eu", version: 1, on: mesh)
        let group = try await alice.open { try await $0.createGroup(name: "eu's", members: ["bob@example.test"]).id }
        // us, with its own key, speaking for alice (homed in eu) to eu.
        let asUS = mesh["us"].asClient
        let refusals = try await asUS.withConnection(
          port: mesh["eu"].relay.port, relayCertificatePEM: mesh["eu"].certificatePEM
        ) { connection in
          let federation = FederationClient(wrapping: connection)
          var errors = [RPCError]()
          do {
            _ = try await federation.changeMembers(
              .with {
                $0.conversationID = group
                $0.actor = "alice@example.test"
                $0.leave = .init()
              })
          } catch let error as RPCError { errors.append(error) }
          for batch in [
            Relay_V1_SignalBatch.with {
              $0.typing = [
                .with {
                  $0.conversationID = group
                  $0.user = "alice@example.test"
                  $0.typing = true
                }
              ]
            },
            Relay_V1_SignalBatch.with { $0.presence = [.with { $0.user = "alice@example.test" }] },
          ] {
            do { _ = try await federation.signal(batch) } catch let error as RPCError { errors.append(error) }
          }
          return errors
        }
        #expect(refusals.map(\.code) == [.permissionDenied, .permissionDenied, .permissionDenied])
        #expect(
          refusals.map(\.message) == Array(repeating: "a region may only speak for the users homed in it", count: 3))
        let members = try await alice.open { try await $0.conversation(group).members.map(\.user) }
        #expect(members.contains("alice@example.test"), "alice is still in her group")
      }
    }

    static func waitForHome(_ user: String, in region: String, version: Int64, on mesh: RegionMesh) async throws {
      try await ChildProcess.waitUntil("\(user) homed in \(region) on every region", seconds: 60) {
        for name in RegionMesh.names {
          guard let home = try await mesh[name].home(of: user), home == (region, version) else { return false }
        }
        return true
      }
    }

    static func expectRedirect(
      _ error: RPCError?, to home: String, from region: String, mesh: RegionMesh, user: String
    ) {
      #expect(error?.code == .failedPrecondition)
      #expect(error?.message == "\(user) is homed in region \(home): connect there")
      let metadata = error?.metadata ?? [:]
      #expect(Array(metadata[stringValues: "relay-home-region"]) == [home])
      #expect(Array(metadata[stringValues: "relay-home-address"]) == [mesh.address(of: home, from: region)])
      #expect(Array(metadata[stringValues: "relay-home-fingerprint"]) == [mesh[home].fingerprint.description])
    }

    @Test(
      "the SDK: a registration in another region than the user's home, and a device whose relay is another region, get homedElsewhere with the home; the SDK follows it, pinning the key the region vouched for"
    )
    func sdkFollowsTheRedirect() async throws {
      try await RegionMesh.with { mesh in
        let alice = try await Home.register("alice@example.test", "phone", on: mesh["eu"].relay)
        try await Self.waitForHome("alice@example.test", in: "eu", version: 1, on: mesh)
        let expected = ClientError.Home(
          region: "eu", address: mesh.address(of: "eu", from: "us"), fingerprint: mesh["eu"].fingerprint.description)

        // A new device registering in us is told where alice's home is, and registers there.
        let laptop = makeTemporaryDirectory() + "/laptop"
        let refused = await #expect(throws: ClientError.self) {
          _ = try await RelayDevice.register(
            home: laptop + "-us", user: "alice@example.test", deviceID: "laptop", server: mesh["us"].relay.server)
        }
        #expect(refused?.code == .homedElsewhere && refused?.home == expected)
        let link = try await alice.open { try await $0.linkCode().code }
        _ = try await RelayDevice.register(
          home: laptop, user: "alice@example.test", deviceID: "laptop", server: expected.address,
          serverFingerprint: expected.fingerprint, link: link)

        // alice's phone, pointed at us, is redirected; it follows, and works in eu.
        let us = ClientError.Home(
          region: "us", address: "127.0.0.1:\(mesh["us"].relay.port)", fingerprint: mesh["us"].fingerprint.description)
        try await RelayDevice.follow(us, home: alice.path)
        var redirect: ClientError?
        try await ChildProcess.waitUntil("us redirects alice's phone", seconds: 60) {
          do { _ = try await alice.open { try await $0.conversations() } } catch let error as ClientError {
            redirect = error
          }
          return redirect?.code == .homedElsewhere
        }
        let home = try #require(redirect?.home)
        #expect(home == expected)
        // A fingerprint the region did not vouch for is refused.
        var forged = home
        forged.fingerprint = mesh["ap"].fingerprint.description
        let untrusted = await #expect(throws: ClientError.self) {
          try await RelayDevice.follow(forged, home: alice.path)
        }
        #expect(untrusted?.code == .untrustedRelay)
        try await RelayDevice.follow(home, home: alice.path)
        _ = try await alice.open { try await $0.conversations() }
      }
    }
  }
}

extension RegionMesh {
  /// `device`'s client connected to `region` over mutual TLS.
  @discardableResult
  func client<T: Sendable>(
    _ device: TestDevice, _ region: String, _ body: (RelayClient) async throws -> T
  ) async throws -> T {
    try await device.withConnection(port: self[region].relay.port, relayCertificatePEM: self[region].certificatePEM) {
      try await body(RelayClient(wrapping: $0))
    }
  }
}
