internal import Foundation
internal import Yams

/// The YAML config file (`relay serve --config FILE`): every key optional,
/// each one overriding ``RelayConfiguration/defaults``. Unknown keys are an
/// error, so a typo never silently leaves a default in force.
///
/// ```yaml
/// domain: relay.example
/// data_dir: /var/lib/relay
/// listen: 0.0.0.0:7443
/// tls: { certificate: /etc/relay/cert.pem, key: /etc/relay/key.pem }
/// registration: { policy: invite }
/// limits: { sends_per_second: 20, max_group_members: 500 }
/// ```
struct ConfigFile: Decodable {
  struct TLS: Decodable {
    var certificate: String?
    var key: String?
  }
  struct Registration: Decodable {
    var policy: RelayConfiguration.Registration.Policy?
    var link_code_lifetime_seconds: Int?
  }
  struct Limits: Decodable {
    var max_envelope_bytes: Int?
    var max_copies_per_send: Int?
    var max_group_members: Int?
    var max_devices_per_user: Int?
    var max_prekeys_per_upload: Int?
    var max_stored_prekeys: Int?
    var sends_per_second: Double?
    var send_burst: Double?
    var max_frame_bytes: Int?
    var max_in_flight_sends_per_stream: Int?
    var max_sends_per_commit: Int?
    var sync_page_size: Int?
    var max_page_size: Int?
  }
  struct Presence: Decodable {
    var heartbeat_seconds: Int?
    var ttl_seconds: Int?
    var typing_ttl_seconds: Int?
  }
  struct Connection: Decodable {
    var handshake_timeout_seconds: Int?
    var idle_timeout_seconds: Int?
    var shutdown_grace_seconds: Int?
    var max_concurrent_streams: Int?
    var streams_per_second_per_address: Double?
    var streams_per_second: Double?
  }

  struct Region: Decodable {
    var postgres_url: String?
    var redis_url: String?
    var node_id: String?
    var postgres_pool_size: Int?
    var postgres_lease_timeout_ms: Int?
    var postgres_statement_timeout_ms: Int?
    var migrate_on_start: Bool?
    var session_ttl_seconds: Int?
    var commit_lanes: Int?
  }

  struct Metrics: Decodable {
    var listen: String?
  }

  struct Peer: Decodable {
    var domain: String
    var address: String
    var fingerprint: String
  }

  struct Federation: Decodable {
    var peers: [Peer]?
    var max_batch_events: Int?
    var max_batches_per_second: Double?
    var reconcile_interval_seconds: Int?
  }

  var domain: String?
  var data_dir: String?
  var listen: String?
  var tls: TLS?
  var registration: Registration?
  var limits: Limits?
  var presence: Presence?
  var connection: Connection?
  var region: Region?
  var metrics: Metrics?
  var federation: Federation?

  static let knownKeys: [String: Set<String>] = [
    "": [
      "domain", "data_dir", "listen", "tls", "registration", "limits", "presence", "connection", "region", "metrics",
      "federation",
    ],
    "metrics": ["listen"],
    "federation": ["peers", "max_batch_events", "max_batches_per_second", "reconcile_interval_seconds"],
    "tls": ["certificate", "key"],
    "registration": ["policy", "link_code_lifetime_seconds"],
    "limits": [
      "max_envelope_bytes", "max_copies_per_send", "max_group_members", "max_devices_per_user",
      "max_prekeys_per_upload", "max_stored_prekeys", "sends_per_second", "send_burst", "max_frame_bytes",
      "max_in_flight_sends_per_stream", "max_sends_per_commit", "sync_page_size", "max_page_size",
    ],
    "presence": ["heartbeat_seconds", "ttl_seconds", "typing_ttl_seconds"],
    "connection": [
      "handshake_timeout_seconds", "idle_timeout_seconds", "shutdown_grace_seconds", "max_concurrent_streams",
      "streams_per_second_per_address", "streams_per_second",
    ],
    "region": [
      "postgres_url", "redis_url", "node_id", "postgres_pool_size", "postgres_lease_timeout_ms",
      "postgres_statement_timeout_ms", "migrate_on_start", "session_ttl_seconds", "commit_lanes",
    ],
  ]

  /// Reads and checks a config file.
  static func load(path: String) throws(RelayError) -> ConfigFile {
    let text: String
    do {
      text = try String(contentsOfFile: path, encoding: .utf8)
    } catch {
      throw RelayError(.invalidArgument, "cannot read config file \(path)", cause: error)
    }
    do {
      if let root = try Yams.compose(yaml: text) {
        try Self.checkKeys(root, section: "")
      }
      return try YAMLDecoder().decode(ConfigFile.self, from: text)
    } catch let error as RelayError {
      throw error
    } catch {
      throw RelayError(.invalidArgument, "config file \(path) is not valid: \(error)", cause: error)
    }
  }

  private static func checkKeys(_ node: Node, section: String) throws {
    guard let mapping = node.mapping else {
      throw RelayError(
        .invalidArgument, "config section '\(section.isEmpty ? "top level" : section)' must be a mapping")
    }
    for (key, value) in mapping {
      let name = key.string ?? ""
      guard Self.knownKeys[section]?.contains(name) == true else {
        let place = section.isEmpty ? "" : " in '\(section)'"
        throw RelayError(.invalidArgument, "unknown config key '\(name)'\(place)")
      }
      if section.isEmpty, Self.knownKeys[name] != nil {
        try Self.checkKeys(value, section: name)
      }
    }
  }
}
