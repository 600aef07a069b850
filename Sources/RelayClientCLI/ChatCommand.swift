import ArgumentParser
import Foundation
import RelaySDK
import Wire

struct ChatCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "chat",
    abstract: "An interactive chat: type a line and Enter to send; /quit to leave.",
    discussion: """
      Your messages show ✓ when the relay stored them, ✓✓ when a device of each recipient has them, and \
      "read" when someone read them. Others' typing shows as "… is typing". A line starting with / is a \
      command: /typing tells the others you are typing, /quit leaves.
      """
  )

  @OptionGroup var home: HomeOption
  @Argument(help: "A user (name@domain) or a conversation id.") var address: String

  func run() async throws {
    await reporting {
      try await self.home.withDevice { device in
        let conversation = try await device.conversationID(for: self.address)
        let members = try await device.conversation(conversation).members.map(\.user).filter { $0 != device.user }
        for message in try device.messages(in: conversation, limit: 20) { say(message.chatLine) }
        try await device.connect { session in
          session.subscribePresence(members)
          try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await Self.show(session, conversation: conversation) }
            group.addTask {
              for await line in StandardInputLines.stream() {
                if line == "/quit" { break }
                if line == "/typing" {
                  session.typing(in: conversation)
                  continue
                }
                guard !line.isEmpty else { continue }
                session.typing(in: conversation, false)
                let sent = try await device.send(line, to: conversation)
                say("  ✓ #\(sent.seq)")
              }
            }
            try await group.next()
            group.cancelAll()
          }
        }
      }
    }
  }

  private static func show(_ session: LiveSession, conversation: String) async {
    for await event in session.events {
      switch event {
      case .message(let message) where message.conversationID == conversation:
        say(message.chatLine)
        if !message.outgoing { session.markRead(conversation, upTo: message.seq) }
      case .receipt(let id, let conversationID, let status, let by) where conversationID == conversation:
        say("  \(status == .read ? "read" : status == .delivered ? "✓✓" : "✓") \(id.prefix(8)) by \(by)")
      case .typing(let conversationID, let user, let typing) where conversationID == conversation:
        say(typing ? "  \(user) is typing…" : "  \(user) stopped typing")
      case .presence(let user, let online, _):
        say("  \(user) is \(online ? "online" : "offline")")
      case .connection(.disconnected(let reason)):
        say("  (disconnected: \(reason); reconnecting)")
      case .undecryptable(let id, let sender, let reason):
        say("  (could not open \(id) from \(sender): \(reason))")
      default:
        break
      }
    }
  }
}

extension StoredMessage {
  var chatLine: String { "\(self.outgoing ? "you" : self.from): \(self.text)" }
}

/// Lines of standard input, read on a thread of their own (reading blocks).
enum StandardInputLines {
  static func stream() -> AsyncStream<String> {
    let (stream, continuation) = AsyncStream.makeStream(of: String.self)
    let thread = Thread {
      while let line = readLine() { continuation.yield(line) }
      continuation.finish()
    }
    thread.start()
    return stream
  }
}
