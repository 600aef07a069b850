import ArgumentParser
import Relay
internal import RelayCore

/// `relay migrate`: bring a region's PostgreSQL schema up to date.
struct MigrateCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "migrate",
    abstract: "Apply missing PostgreSQL schema migrations (nodes also do this on start unless told not to).")

  @OptionGroup var common: CommonOptions

  func run() async throws {
    do {
      let configuration = try StartupConfiguration.resolve(common: self.common) { _ throws(RelayError) in }
      guard configuration.region.postgresURL != nil else {
        throw RelayError(.invalidArgument, "migrate needs a PostgreSQL: --postgres URL or region.postgres_url")
      }
      try await configuration.withStore { store in
        let applied = try await store.migrate()
        print(applied.isEmpty ? "the schema is up to date" : "applied: \(applied.joined(separator: ", "))")
      }
    } catch {
      StartupFailure.exit(error)
    }
  }
}
