import ArgumentParser
import Foundation
import Logging
import Relay
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
      let configuration = try StartupConfiguration.resolve(common: self.common) { config throws(RelayError) in
        if let listen = self.listen { config.listen = try .init(parsing: listen) }
        if let domain = self.domain { config.domain = domain }
        if let metrics = self.metrics { config.metrics.listen = try .init(parsing: metrics) }
      }
      let relay = try Relay(configuration: configuration, logger: logger)
      let group = ServiceGroup(
        configuration: .init(
          services: [.init(service: relay)], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
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
        try await tasks.next()
      }
    } catch {
      StartupFailure.exit(error)
    }
  }
}
