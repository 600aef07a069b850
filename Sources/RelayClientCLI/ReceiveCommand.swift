import ArgumentParser
import Client
import Foundation

struct ReceiveCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "receive",
    abstract: "Print the messages waiting for this device, then those that arrive within --wait seconds.")

  @OptionGroup var home: HomeOption
  @Option(help: "Seconds to keep listening after catching up.") var wait: Double = 0
  @Flag(help: "One JSON object a line: from, sender, conversation, message_id, text, sent_at, seq.") var json = false

  func run() async throws {
    await reporting {
      try await self.home.withDevice { device in
        try await device.connect { session in
          let (caughtUp, signal) = AsyncStream.makeStream(of: Void.self)
          try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
              var caught = false
              for await event in session.events {
                switch event {
                case .message(let message): say(self.json ? message.jsonLine : message.humanLine)
                case .connection(.connected):
                  caught = true
                  signal.yield()
                case .connection(.disconnected(let reason)) where !caught:
                  throw SessionFailed(reason: reason)
                case .undecryptable(let id, let sender, let reason):
                  FileHandle.standardError.write(Data("could not open \(id) from \(sender): \(reason)\n".utf8))
                default: break
                }
              }
            }
            group.addTask {
              for await _ in caughtUp { break }
              try await Task.sleep(for: .milliseconds(Int(self.wait * 1000)))
            }
            try await group.next()
            group.cancelAll()
          }
        }
      }
    }
  }
}

/// The session broke before it caught up: a one-shot command reports it rather than retrying forever.
struct SessionFailed: Error, CustomStringConvertible {
  var reason: String
  var description: String { "the session with the relay failed: \(self.reason)" }
}

extension StoredMessage {
  var sentAt: String { Date(timeIntervalSince1970: Double(self.sentAtMs) / 1000).formatted(.iso8601) }

  var humanLine: String { "[\(self.sentAt)] \(self.from): \(self.text)" }

  var jsonLine: String {
    let object: [String: Any] = [
      "from": self.from, "sender": self.sender, "conversation": self.conversationID, "message_id": self.messageID,
      "text": self.text, "sent_at": self.sentAt, "sent_at_ms": self.sentAtMs, "seq": self.seq,
    ]
    let data = try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
    return String(decoding: data, as: UTF8.self)
  }
}
