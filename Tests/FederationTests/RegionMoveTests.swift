import Foundation
import RelaySDK
import TLSIdentity
import Testing

@testable import RelayTestSupport

extension FederationSuites {
  /// Moving a user between regions (docs/regions.md, "Moving a user").
  @Suite("Regions: moving a user", .timeLimit(Patience.minutes(8)))
  struct RegionMoveTests {
    /// Which region is killed (SIGKILL) during the move, and restarted.
    enum Crash: String, CaseIterable, Sendable, CustomTestStringConvertible {
      case none
      /// eu, the old home, right after the request: before or during its hand-off.
      case oldHome
      /// us, the new home, right after the hand-off: before or while it applies the transfer.
      case newHome
      /// eu and us cut apart from before the request until eu has passed on
      /// three of bob's messages that reached it after the hand-off.
      case partition
      /// ap's link to eu cut from before the request until bob has written to
      /// her new home directly: what ap queued for eu before it knew comes
      /// through eu, and ahead of what ap sent to us straight (arrival order).
      case lateRoute
      /// No crash, but the regions run a 224 KiB frame and 40 more messages
      /// of bob's (40 KB each) wait for alice in eu before the move: her
      /// undelivered ones are over one event (160 KiB), so the transfer goes
      /// in parts.
      case inParts

      var testDescription: String { self.rawValue }
    }

    /// Every case on the embedded store; with eu and us on PostgreSQL, no crash, eu killed, the partition and the late route.
    static let cases: [(Crash, Set<String>)] =
      Crash.allCases.map { ($0, []) } + [
        (.none, ["eu", "us"]), (.oldHome, ["eu", "us"]), (.partition, ["eu", "us"]), (.lateRoute, ["eu", "us"]),
        (.inParts, ["eu", "us"]),
      ]

    @Test(
      "alice moves from eu to us while bob in ap writes to her without pause: she gets every message exactly once and in order, her phone follows to us, eu answers moved-to, and the move survives kill -9 of either region",
      arguments: Self.cases)
    func moveWhileWrittenTo(crash: Crash, onPostgres: Set<String>) async throws {
      let frame = crash == .inParts ? 224 * 1024 : nil
      try await RegionMesh.with(postgres: onPostgres, maxFrameBytes: frame) { mesh in
        let alice = try await Home.register("alice@example.test", "phone", on: mesh["eu"].relay)
        let bob = try await Home.register("bob@example.test", "phone", on: mesh["ap"].relay)
        for (user, region) in [("alice", "eu"), ("bob", "ap")] {
          try await RegionDirectoryTests.waitForHome("\(user)@example.test", in: region, version: 1, on: mesh)
        }
        let chat = try await alice.open { device in
          let chat = try await device.conversationID(for: "bob@example.test")
          _ = try await device.send("hello bob", to: chat)
          return chat
        }
        #expect(try await bob.receive(1) == ["hello bob"])

        let total = 30
        let texts = (1 ... total).map { "m\($0)" }
        // bob writes throughout the move; a send that fails is tried again (the SDK keeps its message id).
        async let written: Void = bob.open { device in
          for text in texts {
            try await ChildProcess.waitUntil("bob sends \(text)", seconds: 60) {
              do { _ = try await device.send(text, to: chat) } catch { return false }
              try await Task.sleep(for: .milliseconds(40))
              return true
            }
          }
        }
        // alice reads the first few in eu: her cursor is mid-stream when she moves.
        // What her phone took is what it holds: more than three may have
        // arrived (and been acknowledged) before the session closed. At one
        // relay, a conversation's order is her cursor order.
        _ = try await alice.collect { $0.messages.count >= 3 }
        var received = try await alice.open { device in try device.messages(in: chat, limit: 1000) }
          .filter { !$0.outgoing }

        let store =
          ["--config", mesh["eu"].configPath, "--data-dir", mesh["eu"].relay.directory]
          + (mesh["eu"].postgresURL.map { ["--postgres", $0] } ?? [])
        let cli = ["users", "move", "alice@example.test", "--to", "us"] + store
        switch crash {
        case .none:
          let moved = try await runProgram(relayExecutable, cli)
          #expect(moved.status == 0, "\(moved.output)")
          #expect(moved.output.contains("handed-off: alice@example.test is homed in us"), "\(moved.output)")
        case .oldHome:
          let requested = try await runProgram(relayExecutable, cli + ["--wait", "0"])
          #expect(requested.status == 0, "\(requested.output)")
          try await mesh["eu"].relay.killAndStartAgain()
        case .newHome:
          let moved = try await runProgram(relayExecutable, cli)
          #expect(moved.status == 0, "\(moved.output)")
          try await mesh["us"].relay.killAndStartAgain()
        case .partition:
          await mesh.cutEUUS()
          let moved = try await runProgram(relayExecutable, cli)
          #expect(moved.status == 0, "\(moved.output)")
          // The transfer and three passed-on messages wait in eu's outbox towards us.
          try await ChildProcess.waitUntil("eu holds messages for alice after the hand-off", seconds: 60) {
            try await mesh.outboxDepth(from: "eu", to: "us") >= 4
          }
          try await mesh.healEUUS()
        case .lateRoute:
          await mesh.cutAPEU()
          let moved = try await runProgram(relayExecutable, cli)
          #expect(moved.status == 0, "\(moved.output)")
        case .inParts:
          // Every message waits in eu first: more than one event can hold.
          try await written
          try await bob.open { device in
            for text in Self.large { _ = try await device.send(text, to: chat) }
          }
          try await ChildProcess.waitUntil("eu holds bob's messages for alice", seconds: 60) {
            try await mesh.outboxDepth(from: "ap", to: "eu") == 0
          }
          let moved = try await runProgram(relayExecutable, cli)
          #expect(moved.status == 0, "\(moved.output)")
          #expect(moved.output.contains("handed-off"), "\(moved.output)")
        }
        try await RegionDirectoryTests.waitForHome("alice@example.test", in: "us", version: 2, on: mesh)
        try await written
        var expected = texts + (crash == .inParts ? Self.large : [])
        if crash == .lateRoute {
          // ap knows her new home: these go to us directly, while what ap queued for eu still waits.
          let late = (1 ... 5).map { "late\($0)" }
          try await bob.open { device in
            for text in late { _ = try await device.send(text, to: chat) }
          }
          #expect(try await mesh.outboxDepth(from: "ap", to: "eu") > 0)
          try await mesh.healAPEU()
          expected += late
        }

        // eu tells alice's phone where she lives now; it follows and reads the rest in us.
        try await Self.follow(alice, to: "us", mesh: mesh)
        let seen = Set(received.map(\.text))
        let all = expected
        received += try await alice.collect(timeout: .seconds(120)) { events in
          seen.union(events.messages.map(\.text)).isSuperset(of: all)
        }.messages
        let ids = received.map(\.messageID)
        #expect(Set(ids).count == ids.count, "a message reached alice twice: \(received.map(\.text))")
        // In her cursor order, as bob wrote them.
        #expect(received.map(\.text) == expected)
        // us holds nothing back once every region's marker came through eu (its own among them).
        let usStore =
          ["--config", mesh["us"].configPath, "--data-dir", mesh["us"].relay.directory]
          + (mesh["us"].postgresURL.map { ["--postgres", $0] } ?? [])
        try await ChildProcess.waitUntil("us has every region's marker for alice", seconds: 60) {
          let listed = try await runProgram(relayExecutable, ["users", "moves", "alice@example.test"] + usStore)
          return listed.output.contains("arrived") && !listed.output.contains("awaiting markers")
        }

        // From her new home she writes to bob, and eu keeps answering "moved to".
        _ = try await alice.open { device in try await device.send("from us", to: chat) }
        #expect(try await bob.receive(1) == ["from us"])
        var redirect: ClientError?
        let eu = ClientError.Home(
          region: "eu", address: "127.0.0.1:\(mesh["eu"].relay.port)", fingerprint: mesh["eu"].fingerprint.description)
        let probe = makeTemporaryDirectory() + "/probe"
        try FileManager.default.copyItem(atPath: alice.path, toPath: probe)
        try await RelayDevice.follow(eu, home: probe)
        do { _ = try await RelayDevice.withDevice(home: probe) { try await $0.conversations() } } catch let error
          as ClientError
        {
          redirect = error
        }
        #expect(redirect?.code == .homedElsewhere && redirect?.home?.region == "us")
        if crash == .none {
          #expect(try await mesh["eu"].counter("relay_region_moves_total{phase=\"handed-off\"}") == 1)
          #expect(try await mesh["us"].counter("relay_region_moves_total{phase=\"arrived\"}") == 1)
        }
        let listed = try await runProgram(relayExecutable, ["users", "moves"] + store)
        #expect(listed.output.contains("handed-off"), "\(listed.output)")
      }
    }

    /// The messages of the `inParts` case, 40 KB each: 1.6 MB, more than a
    /// peer takes in one message at all (a 224 KiB frame's backstop is
    /// 1.2 MiB), so the test fails if the transfer is not split.
    static let large = (1 ... 40).map { "large\($0) " + String(repeating: ".", count: 40_000) }

    /// Calls until `home`'s relay is `region`, following each redirect.
    /// (``RegionMesh/outboxDepth(from:to:)`` reads `relay peers --json`.)
    static func follow(_ home: Home, to region: String, mesh: RegionMesh) async throws {
      try await ChildProcess.waitUntil("\(home.address) reaches its home \(region)", seconds: 60) {
        do {
          _ = try await home.open { try await $0.conversations() }
          return true
        } catch let error as ClientError where error.code == .homedElsewhere {
          try await RelayDevice.follow(try #require(error.home), home: home.path)
          return false
        }
      }
    }
  }
}

extension RegionMesh {
  /// How many events `from`'s outbox holds for region `to`, as `relay peers --json` says.
  func outboxDepth(from: String, to: String) async throws -> Int {
    let peers = try await runProgram(relayExecutable, ["peers", "--json", "--config", self[from].configPath])
    let list = try JSONSerialization.jsonObject(with: Data(peers.output.utf8)) as? [[String: Any]] ?? []
    return list.first { $0["region"] as? String == to }?["outboxDepth"] as? Int ?? 0
  }
}
