import ArgumentParser
import Crypto
import E2E
import Foundation
import RelaySDK

struct DevicesCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "devices", abstract: "List a user's devices (this user's by default) and their identity keys.")

  @OptionGroup var home: HomeOption
  @Argument(help: "A user, name@domain.") var user: String?

  func run() async throws {
    await reporting {
      try await self.home.withDevice { device in
        let devices = try await device.devices(of: self.user ?? device.user)
        for (address, key) in devices.sorted(by: { $0.key < $1.key }) {
          let digest = SHA256.hash(data: key.bytes).prefix(8).map { String(format: "%02x", $0) }.joined()
          say("\(address)  identity \(digest)\(address == device.address ? "  (this device)" : "")")
        }
      }
    }
  }
}

struct SafetyNumberCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "safety-number",
    abstract: "The number to compare with another user (in person or by a trusted channel).",
    discussion: "It covers every device of both users, so it changes when either adds or removes a device."
  )

  @OptionGroup var home: HomeOption
  @Argument(help: "The other user, name@domain.") var address: String

  func run() async throws {
    await reporting {
      let number = try await self.home.withDevice { try await $0.safetyNumber(with: self.address) }
      say("\(number)")
    }
  }
}
