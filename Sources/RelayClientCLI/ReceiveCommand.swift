import ArgumentParser
import Foundation
import RelaySDK

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
        try await device.catchUp(linger: .milliseconds(Int(self.wait * 1000))) { [json = self.json] event in
          if case .message(let message) = event { say(json ? message.jsonLine : message.humanLine) }
        }
      }
    }
  }
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
