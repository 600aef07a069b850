import ArgumentParser
import Foundation
import RelaySDK

/// `relay-client push set TOKEN [--secret S]`, `relay-client push remove`.
struct PushCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "push", abstract: "Wake-ups for this device while it is offline (the relay's push gateway).",
    subcommands: [Set.self, Remove.self])

  struct Set: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "set", abstract: "Have the relay's gateway wake this device by TOKEN (replaces any endpoint).")

    @OptionGroup var home: HomeOption
    @Argument(help: "What the operator's push gateway knows this device by.") var token: String
    @Option(help: "A secret the relay signs each wake-up with (HMAC-SHA256; up to 64 bytes).") var secret: String?

    func run() async throws {
      await reporting {
        try await self.home.withDevice { device in
          try await device.setPushEndpoint(token: self.token, secret: Data((self.secret ?? "").utf8))
        }
        say("wake-ups go to the relay's push gateway with token \(self.token)")
      }
    }
  }

  struct Remove: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "remove", abstract: "Stop wake-ups for this device.")

    @OptionGroup var home: HomeOption

    func run() async throws {
      await reporting {
        let removed = try await self.home.withDevice { try await $0.removePushEndpoint() }
        say(removed ? "wake-ups stopped" : "this device had no push endpoint")
      }
    }
  }
}
