import ArgumentParser
import Foundation
import RelaySDK

struct SendCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "send", abstract: "Send a message, or a file (--file), to a user or a group conversation.")

  @OptionGroup var home: HomeOption
  @Argument(help: "A user (name@domain) or a conversation id.") var address: String
  @Argument(help: "The message (omit it with --file).") var text: String?
  @Option(help: "A file to send as an attachment: encrypted on this device, then uploaded.") var file: String?

  func validate() throws {
    guard (self.text == nil) != (self.file == nil) else {
      throw ValidationError("give either a message or --file PATH")
    }
  }

  func run() async throws {
    await reporting {
      let message = try await self.home.withDevice { device in
        let conversation = try await device.conversationID(for: self.address)
        guard let path = self.file else { return try await device.send(self.text ?? "", to: conversation) }
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        let name = URL(fileURLWithPath: path).lastPathComponent
        let reference = try await device.uploadAttachment(
          data, contentType: AttachmentFiles.contentType(of: path), fileName: name,
          progress: AttachmentFiles.progress("uploading \(name)", size: data.count))
        return try await device.send(reference, to: conversation)
      }
      say("✓ sent \(message.messageID) (#\(message.seq) in \(message.conversationID))")
    }
  }
}
