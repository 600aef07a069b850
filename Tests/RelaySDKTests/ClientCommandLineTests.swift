import Foundation
import Testing

@testable import RelayTestSupport

/// `relay-client` driven as a person would, against `relay serve`.
@Suite("relay-client command line", .timeLimit(Patience.minutes(5)))
struct ClientCommandLineTests {
  func client(_ arguments: [String]) async throws -> (status: Int32, output: String) {
    try await runProgram(relayClientExecutable, arguments)
  }

  func jsonLines(_ output: String) throws -> [[String: Any]] {
    try output.split(separator: "\n").filter { $0.hasPrefix("{") }.map {
      try #require(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
    }
  }

  @Test("send --file uploads an encrypted 2 MiB file with progress; receive --attachments saves it, digest checked")
  func fileAttachment() async throws {
    try await ServedRelay.with { relay in
      let work = makeTemporaryDirectory()
      for (home, user) in [("/a", "alice@localhost"), ("/b", "bob@localhost")] {
        let registered = try await self.client(["--home", work + home, "register", user, "--server", relay.server])
        #expect(registered.status == 0, "\(registered.output)")
      }
      let file = Data((0 ..< 2 * 1_048_576 + 77).map { UInt8(truncatingIfNeeded: $0 &* 2_654_435_761 >> 13) })
      try file.write(to: URL(fileURLWithPath: work + "/holiday photo.jpg"))
      #expect(
        await (try? self.client(["--home", work + "/a", "send", "bob@localhost", "text", "--file", work + "/x"]))?
          .status
          == 64, "a text and a file at once are refused")
      let sent = try await self.client([
        "--home", work + "/a", "send", "bob@localhost", "--file", work + "/holiday photo.jpg",
      ])
      #expect(sent.status == 0 && sent.output.contains("✓ sent"), "\(sent.output)")
      #expect(sent.output.contains("uploading holiday photo.jpg: 100%"), "progress on stderr: \(sent.output)")
      let received = try await self.client([
        "--home", work + "/b", "receive", "--json", "--attachments", work + "/inbox",
      ])
      #expect(received.status == 0, "\(received.output)")
      let line = try #require(try self.jsonLines(received.output).first)
      let attachment = try #require(line["attachment"] as? [String: Any])
      #expect(attachment["file_name"] as? String == "holiday photo.jpg")
      #expect(attachment["content_type"] as? String == "image/jpeg")
      #expect(attachment["saved_to"] as? String == work + "/inbox/holiday photo.jpg")
      #expect(try Data(contentsOf: URL(fileURLWithPath: work + "/inbox/holiday photo.jpg")) == file)
    }
  }

  @Test("two homes: register, send, receive --json, reply, restart and send again, history on both sides")
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

      // History: the whole conversation in display order, one's own messages included, on either side.
      for (home, peer) in [("/a", "bob@localhost"), ("/b", "alice@localhost")] {
        let history = try await self.client(["--home", work + home, "history", peer, "--json"])
        #expect(history.status == 0, "\(history.output)")
        let texts = try self.jsonLines(history.output).map { $0["text"] as? String }
        #expect(texts == ["first message", "a reply", "second message"], "\(history.output)")
      }
      let human = try await self.client(["--home", work + "/a", "history", "bob@localhost"])
      #expect(human.output.split(separator: "\n").last?.hasSuffix("alice@localhost: second message") == true)

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

@Suite("relay-client chat", .timeLimit(Patience.minutes(5)))
struct ClientChatTests {
  @Test("an interactive chat sends what is typed and shows replies, receipts and typing")
  func interactiveChat() async throws {
    try await ServedRelay.with { relay in
      let work = makeTemporaryDirectory()
      for (home, user) in [("a", "alice@localhost"), ("b", "bob@localhost")] {
        let result = try await runProgram(
          relayClientExecutable, ["--home", work + "/" + home, "register", user, "--server", relay.server])
        #expect(result.status == 0, "\(result.output)")
      }
      let bob = ["--home", work + "/b"]
      #expect(
        try await runProgram(relayClientExecutable, bob + ["send", "alice@localhost", "before the chat"]).status == 0)

      let fifo = work + "/keyboard"
      #expect(mkfifo(fifo, 0o600) == 0)
      // Opened for writing before the chat starts (O_RDWR does not wait for a
      // reader on Linux), so the child's open of its standard input never blocks.
      let keyboardFD = open(fifo, O_RDWR)
      try #require(keyboardFD >= 0)
      let keyboard = FileHandle(fileDescriptor: keyboardFD, closeOnDealloc: true)
      let chat = try ChildProcess(
        relayClientExecutable, ["--home", work + "/a", "chat", "bob@localhost"], input: fifo)
      try await ChildProcess.waitUntil("the chat shows the waiting message", seconds: 30) {
        chat.output.contains("bob@localhost: before the chat")
      }
      keyboard.write(Data("hello from the chat\n".utf8))
      try await ChildProcess.waitUntil("the chat's send is stored", seconds: 30) { chat.output.contains("  ✓ #2") }
      let received = try await runProgram(relayClientExecutable, bob + ["receive", "--json"])
      #expect(received.output.contains("\"text\":\"hello from the chat\""), "\(received.output)")
      try await ChildProcess.waitUntil("a delivered receipt", seconds: 30) { chat.output.contains("✓✓") }
      #expect(
        try await runProgram(relayClientExecutable, bob + ["send", "alice@localhost", "a live reply"]).status == 0)
      try await ChildProcess.waitUntil("the live reply", seconds: 30) {
        chat.output.contains("bob@localhost: a live reply")
      }
      keyboard.write(Data("/quit\n".utf8))
      try keyboard.close()
      #expect(await chat.exit(seconds: 30) == 0, "\(chat.output)")
    }
  }
}
