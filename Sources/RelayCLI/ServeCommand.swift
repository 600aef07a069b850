import ArgumentParser
import Foundation
import Logging
import Relay
internal import RelayCore
import ServiceLifecycle
import UnixSignals

struct ServeCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "serve", abstract: "Run the relay (embedded default: SQLite in ./relay-data, 127.0.0.1:7443).")

  @OptionGroup var common: CommonOptions

  @Option(name: .long, help: "HOST:PORT to listen on (default 127.0.0.1:7443).")
  var listen: String?

  @Option(name: .long, help: "This relay's domain: users are name@DOMAIN (default localhost).")
  var domain: String?

  @Option(name: .long, help: "HOST:PORT for the admin listener's Prometheus /metrics (default: none).")
  var metrics: String?

  func run() async throws {
    let logger = Logger(label: "relay")
    do {
      let configuration = try self.configuration()
      let relay = try RelayNode(configuration: configuration, logger: logger)
      var groupConfiguration = ServiceGroupConfiguration(
        services: [.init(service: relay)], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
      groupConfiguration.bound(by: configuration)
      let group = ServiceGroup(configuration: groupConfiguration)
      try await withThrowingTaskGroup(of: Void.self) { tasks in
        tasks.addTask { try await group.run() }
        let port: Int
        do {
          port = try await relay.listeningPort
        } catch {
          try await tasks.next()  // the server's own error (e.g. the port is taken) says more
          throw error
        }
        logger.info(
          "relay listening",
          metadata: [
            "domain": "\(configuration.domain)", "address": "\(configuration.listen.host):\(port)",
            "data_dir": "\(configuration.dataDirectory)", "fingerprint": "\(relay.fingerprint)",
            "registration": "\(configuration.registration.policy.rawValue)",
            "mode": "\(configuration.region.isRegion ? "region node \(configuration.region.nodeID)" : "embedded")",
          ])
        tasks.addTask { await self.reloadPeersOnHangUp(relay, logger: logger) }
        try await tasks.next()
        tasks.cancelAll()
      }
    } catch {
      StartupFailure.exit(error)
    }
  }

  /// Defaults, the config file, then the flags.
  private func configuration() throws(RelayError) -> RelayConfiguration {
    try StartupConfiguration.resolve(common: self.common) { config throws(RelayError) in
      if let listen = self.listen { config.listen = try .init(parsing: listen) }
      if let domain = self.domain { config.domain = domain }
      if let metrics = self.metrics { config.metrics.listen = try .init(parsing: metrics) }
    }
  }

  /// SIGHUP: read the config file again and apply its federation peers.
  /// A file that does not load keeps the peers as they were.
  private func reloadPeersOnHangUp(_ relay: RelayNode, logger: Logger) async {
    for await _ in await UnixSignalsSequence(trapping: .sighup) {
      do {
        let fresh = try self.configuration()
        try relay.reloadPeers(fresh.federation)
        logger.info("federation peers reloaded", metadata: ["peers": "\(fresh.federation.peers.map(\.domain))"])
      } catch {
        logger.error(
          "the config did not reload; the peers are unchanged",
          metadata: ["error": "\(error.message)"])
      }
    }
  }
}
