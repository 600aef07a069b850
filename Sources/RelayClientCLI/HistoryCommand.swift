import ArgumentParser
import Foundation
import RelaySDK

struct HistoryCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "history",
    abstract: "Print a conversation in display order, one's own messages included.",
    discussion: """
      Catches up with the relay first (what waits is stored), then prints every message this device \
      holds for the conversation, in the relay's order. The relay keeps only ciphertext: a device has \
      the messages that reached it since it was registered.
      """)

  @OptionGroup var home: HomeOption
  @Argument(help: "A user (name@domain: the direct conversation) or a conversation id.") var address: String
  @Flag(help: "One JSON object a line, as receive --json prints them.") var json = false

  func run() async throws {
    await reporting {
      let messages = try await self.home.withDevice { device in
        let conversation = try await device.conversationID(for: self.address)
        try await device.catchUp { _ in }
        return try device.history(of: conversation)
      }
      for message in messages { say(self.json ? message.jsonLine() : message.humanLine) }
    }
  }
}
