import ArgumentParser
import Foundation
import RelaySDK

struct SendCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "send", abstract: "Send a message to a user or a group conversation.")

  @OptionGroup var home: HomeOption
  @Argument(help: "A user (name@domain) or a conversation id.") var address: String
  @Argument(help: "The message.") var text: String

  func run() async throws {
    await reporting {
      let message = try await self.home.withDevice { device in
        try await device.send(self.text, to: device.conversationID(for: self.address))
      }
      say("✓ sent \(message.messageID) (#\(message.seq) in \(message.conversationID))")
    }
  }
}
