import ArgumentParser
import Foundation
import RelaySDK
import Synchronization

struct ReceiveCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "receive",
    abstract: "Print the messages waiting for this device, then those that arrive within --wait seconds.")

  @OptionGroup var home: HomeOption
  @Option(help: "Seconds to keep listening after catching up.") var wait: Double = 0
  @Option(help: "Save received attachments in this folder (after checking their digest).") var attachments: String?
  @Flag(help: "One JSON object a line: from, sender, conversation, message_id, text, sent_at, seq, attachment.")
  var json = false

  func run() async throws {
    await reporting {
      try await self.home.withDevice { device in
        let received = Mutex([StoredMessage]())
        try await device.catchUp(linger: .milliseconds(Int(self.wait * 1000))) {
          [json = self.json, saving = self.attachments != nil] event in
          guard case .message(let message) = event else { return }
          // A message with a file is printed once the file is saved.
          if saving && message.attachment != nil {
            received.withLock { $0.append(message) }
          } else {
            say(json ? message.jsonLine() : message.humanLine)
          }
        }
        guard let folder = self.attachments else { return }
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        for message in received.withLock({ $0 }) {
          let reference = message.attachment!
          let data = try await device.downloadAttachment(
            reference,
            progress: AttachmentFiles.progress(
              "downloading \(reference.fileName)", size: Int(clamping: reference.size)))
          let path = AttachmentFiles.destination(for: reference.fileName, in: folder)
          try data.write(to: URL(fileURLWithPath: path), options: .atomic)
          say(self.json ? message.jsonLine(savedTo: path) : message.humanLine + " → saved \(path)")
        }
      }
    }
  }
}

extension StoredMessage {
  var sentAt: String { Date(timeIntervalSince1970: Double(self.sentAtMs) / 1000).formatted(.iso8601) }

  var humanLine: String {
    guard let file = self.attachment else { return "[\(self.sentAt)] \(self.from): \(self.text)" }
    return "[\(self.sentAt)] \(self.from): 📎 \(file.fileName) (\(file.contentType), \(file.size) bytes)"
  }

  func jsonLine(savedTo path: String? = nil) -> String {
    var object: [String: Any] = [
      "from": self.from, "sender": self.sender, "conversation": self.conversationID, "message_id": self.messageID,
      "text": self.text, "sent_at": self.sentAt, "sent_at_ms": self.sentAtMs, "seq": self.seq,
    ]
    if let file = self.attachment {
      var attachment: [String: Any] = [
        "id": file.id, "file_name": file.fileName, "content_type": file.contentType, "size": file.size,
      ]
      if let path { attachment["saved_to"] = path }
      object["attachment"] = attachment
    }
    let data = try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
    return String(decoding: data, as: UTF8.self)
  }
}
