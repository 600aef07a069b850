import Foundation
import Testing

let relayClientExecutable = URL(fileURLWithPath: relayExecutable).deletingLastPathComponent().path + "/relay-client"

/// `relay-client` driven as a person would, against `relay serve`.
@Suite("relay-client command line", .timeLimit(.minutes(5)))
struct ClientCommandLineTests {
  func client(_ arguments: [String]) async throws -> (status: Int32, output: String) {
    try await runProgram(relayClientExecutable, arguments)
  }

  func jsonLines(_ output: String) throws -> [[String: Any]] {
    try output.split(separator: "\n").filter { $0.hasPrefix("{") }.map {
      try #require(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
    }
  }

  @Test("two homes: register, send, receive --json, reply, restart and send again")
  func twoPeople() async throws {
    try await ServedRelay.with { relay in
      let work = makeTemporaryDirectory()
      let alice = try await self.client([
        "--home", work + "/a", "register", "alice@localhost", "--server", relay.server,
      ])
      #expect(alice.status == 0, "\(alice.output)")
      let fingerprint = try #require(
        alice.output.split(separator: "\n").first { $0.hasPrefix("relay fingerprint: ") }?.dropFirst(19))
      #expect(fingerprint.count == 64)
      let bob = try await self.client([
        "--home", work + "/b", "register", "bob@localhost", "--server", relay.server, "--device", "phone",
        "--server-fingerprint", String(fingerprint),
      ])
      #expect(bob.status == 0 && bob.output.contains("registered bob@localhost/phone"), "\(bob.output)")

      let sent = try await self.client(["--home", work + "/a", "send", "bob@localhost", "first message"])
      #expect(sent.status == 0 && sent.output.contains("✓ sent"), "\(sent.output)")
      let received = try await self.client(["--home", work + "/b", "receive", "--json"])
      #expect(received.status == 0, "\(received.output)")
      let lines = try self.jsonLines(received.output)
      #expect(lines.count == 1)
      #expect(lines.first?["from"] as? String == "alice@localhost")
      #expect(lines.first?["text"] as? String == "first message")
      #expect((lines.first?["message_id"] as? String)?.count == 36)
      #expect((lines.first?["conversation"] as? String)?.isEmpty == false)
      #expect((lines.first?["sent_at"] as? String)?.hasPrefix("20") == true)

      #expect(try await self.client(["--home", work + "/b", "send", "alice@localhost", "a reply"]).status == 0)
      let reply = try await self.client(["--home", work + "/a", "receive", "--json"])
      #expect(try self.jsonLines(reply.output).map { $0["text"] as? String } == ["a reply"], "\(reply.output)")

      // Every command is a fresh process: the state on disk carries the sessions and the cursor.
      #expect(try await self.client(["--home", work + "/a", "send", "bob@localhost", "second message"]).status == 0)
      let again = try await self.client(["--home", work + "/b", "receive", "--json", "--wait", "0.5"])
      #expect(try self.jsonLines(again.output).map { $0["text"] as? String } == ["second message"], "\(again.output)")

      let number = try await self.client(["--home", work + "/a", "safety-number", "bob@localhost"])
      let theirs = try await self.client(["--home", work + "/b", "safety-number", "alice@localhost"])
      #expect(number.status == 0 && number.output == theirs.output && number.output.count == 72, "\(number.output)")
      for secret in ["first message", "a reply", "second message"] {
        #expect(try relay.filesContaining(secret) == [])
      }
    }
  }

  @Test("mistakes get one clear line and exit status 1")
  func mistakes() async throws {
    try await ServedRelay.with { relay in
      let work = makeTemporaryDirectory()
      let cases: [([String], String)] = [
        (["--home", work + "/x", "receive"], "run `register` first"),
        (
          [
            "--home", work + "/y", "register", "eve@localhost", "--server", relay.server, "--server-fingerprint",
            String(repeating: "0", count: 64),
          ], "not the expected one"
        ),
        (["--home", work + "/z", "register", "eve@localhost", "--server", "nowhere"], "HOST:PORT"),
        (["--home", work + "/w", "register", "eve@elsewhere", "--server", relay.server], "invalidArgument"),
      ]
      for (arguments, expected) in cases {
        let result = try await self.client(arguments)
        let lines = result.output.split(separator: "\n")
        #expect(result.status == 1, "\(arguments): \(result.output)")
        #expect(
          lines.count == 1 && lines[0].hasPrefix("relay-client: ") && lines[0].contains(expected), "\(result.output)")
      }
    }
  }
}
