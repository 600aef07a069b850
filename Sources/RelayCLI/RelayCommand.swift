import ArgumentParser
internal import RelayCore

/// `relay`: run a relay, or administer its data.
@main
struct RelayCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "relay",
    abstract: "A federated, end-to-end-encrypted chat relay.",
    subcommands: [ServeCommand.self, InviteCommand.self, MigrateCommand.self, PeersCommand.self, UsersCommand.self],
    defaultSubcommand: ServeCommand.self
  )
}

/// Options every subcommand shares: where the config and the data are.
struct CommonOptions: ParsableArguments {
  @Option(name: .long, help: "A YAML config file (see docs/operations.md).")
  var config: String?

  @Option(name: .customLong("data-dir"), help: "Where the database and certificates live (default ./relay-data).")
  var dataDir: String?

  @Option(name: .long, help: "Run as a region node on this PostgreSQL (postgres://user@host:5432/db).")
  var postgres: String?

  @Option(name: .long, help: "The region's Redis (redis://host:6379), for sessions, presence and doorbells.")
  var redis: String?

  @Option(name: .customLong("node-id"), help: "This node's name, unique in its region (default host-pid).")
  var nodeID: String?
}
