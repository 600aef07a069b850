import ArgumentParser
import Foundation
import Relay
internal import RelayCore

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `relay peers`: each federation peer's state, from a running relay's admin listener.
struct PeersCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "peers",
    abstract:
      "Show each federation peer and each other region of this relay's domain: connected, last contact, outbox depth, replication lag."
  )

  @OptionGroup var common: CommonOptions

  @Option(name: .long, help: "HOST:PORT of the relay's admin listener (default: the config's metrics.listen).")
  var admin: String?

  @Flag(name: .long, help: "Print the JSON the relay answers instead of a table.")
  var json = false

  struct Peer: Decodable {
    var domain: String
    /// Set for another region of this relay's own domain.
    var region: String?
    var address: String
    var connected: Bool
    var lastContactMs: Int64
    var outboxDepth: Int
    var lagMs: Int64
    var eventsDelivered: Int
    var eventsRejected: Int
    /// The status the peer answered when it refused this relay, if it does.
    var refusal: String?
  }

  func run() async throws {
    do {
      let configuration = try StartupConfiguration.resolve(common: self.common) { config throws(RelayError) in
        if let admin = self.admin { config.metrics.listen = try .init(parsing: admin) }
      }
      guard let admin = configuration.metrics.listen else {
        throw RelayError(.invalidArgument, "relay peers reads the admin listener: set metrics.listen or pass --admin")
      }
      let host = admin.host.contains(":") ? "[\(admin.host)]" : admin.host
      let url = URL(string: "http://\(host):\(admin.port)/peers")!
      let data: Data
      do {
        (data, _) = try await URLSession.shared.data(from: url)
      } catch {
        throw RelayError(.unavailable, "no relay answers on \(host):\(admin.port)", cause: error)
      }
      if self.json {
        print(String(decoding: data, as: UTF8.self))
        return
      }
      let peers = try JSONDecoder().decode([Peer].self, from: data)
      print(Self.table(peers, nowMs: Int64(Date().timeIntervalSince1970 * 1000)))
    } catch {
      StartupFailure.exit(error)
    }
  }

  static func table(_ peers: [Peer], nowMs: Int64) -> String {
    guard !peers.isEmpty else { return "no federation peers configured" }
    var rows = [["PEER", "KIND", "ADDRESS", "STATE", "LAST CONTACT", "OUTBOX", "LAG", "DELIVERED", "REJECTED"]]
    for peer in peers {
      let contact = peer.lastContactMs == 0 ? "never" : "\(max(0, nowMs - peer.lastContactMs) / 1000)s ago"
      rows.append([
        peer.region.map { "\(peer.domain)#\($0)" } ?? peer.domain, peer.region == nil ? "peer" : "region",
        peer.address,
        peer.connected ? "connected" : peer.refusal.map { "refused (\($0))" } ?? "disconnected",
        contact, "\(peer.outboxDepth)",
        "\(peer.lagMs / 1000)s", "\(peer.eventsDelivered)", "\(peer.eventsRejected)",
      ])
    }
    let widths = (0 ..< rows[0].count).map { column in rows.map { $0[column].count }.max() ?? 0 }
    return rows.map { row in
      zip(row, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }.joined(separator: "  ")
    }.joined(separator: "\n")
  }
}
