import ArgumentParser
import Relay
internal import RelayCore

/// `relay invite`: make invite codes for the `invite` registration policy.
struct InviteCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "invite", abstract: "Create invite codes for new users (one per line on stdout).")

  @OptionGroup var common: CommonOptions

  @Option(name: .long, help: "How many codes to make.")
  var count: Int = 1

  func run() async throws {
    do {
      guard (1 ... 10_000).contains(self.count) else {
        throw RelayError(.invalidArgument, "--count must be 1 to 10000")
      }
      let configuration = try StartupConfiguration.resolve(common: self.common) { _ throws(RelayError) in }
      let codes = (0 ..< self.count).map { _ in InviteCode.make() }
      try await configuration.withStore { store in
        _ = try await store.migrate()
        try await store.createInvites(codes, nowMs: HybridLogicalClock.systemMilliseconds())
      }
      for code in codes { print(code) }
    } catch {
      StartupFailure.exit(error)
    }
  }
}
