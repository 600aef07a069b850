import ArgumentParser
import Foundation
import RelaySDK

struct RegisterCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "register",
    abstract: "Create this device (keys, certificate) and register it with a relay.",
    discussion: """
      The relay's certificate is pinned on first use and its fingerprint printed; compare it with the \
      one the relay logged, or give it up front with --server-fingerprint.
      """
  )

  @OptionGroup var home: HomeOption
  @Argument(help: "The user, name@domain (the domain is the relay's).") var user: String
  @Option(help: "The relay, HOST:PORT.") var server: String
  @Option(name: .customLong("device"), help: "This device's id.") var deviceID = "default"
  @Option(help: "An invite code, when the relay requires one for new users.") var invite: String?
  @Option(help: "A link code from `relay-client link` on another device of the same user.") var link: String?
  @Option(help: "The relay's key fingerprint (64 hex digits) to pin instead of trusting the first one seen.")
  var serverFingerprint: String?

  func run() async throws {
    await reporting {
      let registration = try await RelayDevice.register(
        home: self.home.path, user: self.user, deviceID: self.deviceID, server: self.server,
        serverFingerprint: self.serverFingerprint, invite: self.invite, link: self.link)
      say("registered \(registration.device)")
      say("relay fingerprint: \(registration.relayFingerprint)")
      say("device fingerprint: \(registration.deviceFingerprint)")
    }
  }
}

struct LinkCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "link",
    abstract: "Approve a new device for this user: prints a code to give to `register --link`."
  )

  @OptionGroup var home: HomeOption

  func run() async throws {
    await reporting {
      let (code, expires) = try await self.home.withDevice { try await $0.linkCode() }
      say(code)
      say("valid until \(expires.formatted(.iso8601)), once")
    }
  }
}
