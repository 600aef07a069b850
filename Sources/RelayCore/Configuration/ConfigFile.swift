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
package struct ConfigFile: Decodable {
  package struct TLS: Decodable {
    package var certificate: String?
    package var key: String?
  }
  package struct Registration: Decodable {
    package var policy: RelayConfiguration.Registration.Policy?
    package var link_code_lifetime_seconds: Int?
  }
  package struct Limits: Decodable {
    package var max_envelope_bytes: Int?
    package var max_copies_per_send: Int?
    package var max_group_members: Int?
    package var max_devices_per_user: Int?
    package var max_prekeys_per_upload: Int?
    package var max_stored_prekeys: Int?
    package var sends_per_second: Double?
    package var send_burst: Double?
    package var max_frame_bytes: Int?
    package var max_in_flight_sends_per_stream: Int?
    package var max_sends_per_commit: Int?
    package var sync_page_size: Int?
    package var max_page_size: Int?
  }
  package struct Presence: Decodable {
    package var heartbeat_seconds: Int?
    package var ttl_seconds: Int?
    package var typing_ttl_seconds: Int?
  }
  package struct Connection: Decodable {
    package var handshake_timeout_seconds: Int?
    package var idle_timeout_seconds: Int?
    package var shutdown_grace_seconds: Int?
    package var max_concurrent_streams: Int?
    package var streams_per_second_per_address: Double?
    package var streams_per_second: Double?
  }

  package struct Region: Decodable {
    package var name: String?
    package var postgres_url: String?
    package var redis_url: String?
    package var node_id: String?
    package var postgres_pool_size: Int?
    package var postgres_lease_timeout_ms: Int?
    package var postgres_statement_timeout_ms: Int?
    package var migrate_on_start: Bool?
    package var session_ttl_seconds: Int?
    package var commit_lanes: Int?
  }

  package struct Metrics: Decodable {
    package var listen: String?
  }

  package struct Peer: Decodable {
    package var domain: String
    package var address: String
    package var fingerprint: String
  }

  package struct SiblingRegion: Decodable {
    package var name: String
    package var address: String
    package var fingerprint: String
  }

  package struct Attachments: Decodable {
    package var max_bytes: Int64?
    package var quota_bytes: Int64?
    package var max_chunk_bytes: Int?
    package var lifetime_days: Int?
    package var sweep_interval_seconds: Int?
    package var fetch_timeout_seconds: Int?
    package var max_concurrent_fetches: Int?
  }

  package struct Push: Decodable {
    package var gateway: String?
    package var gateway_ca: String?
    package var interval_seconds: Int?
    package var timeout_ms: Int?
    package var retry_initial_ms: Int?
    package var retry_maximum_seconds: Int?
    package var scan_interval_ms: Int?
    package var max_concurrent_calls: Int?
  }

  package struct Federation: Decodable {
    package var peers: [Peer]?
    package var regions: [SiblingRegion]?
    package var gateway: String?
    package var max_batch_events: Int?
    package var max_batches_per_second: Double?
    package var reconcile_interval_seconds: Int?
  }

  package var domain: String?
  package var data_dir: String?
  package var listen: String?
  package var tls: TLS?
  package var registration: Registration?
  package var limits: Limits?
  package var presence: Presence?
  package var connection: Connection?
  package var region: Region?
  package var metrics: Metrics?
  package var federation: Federation?
  package var push: Push?
  package var attachments: Attachments?

  package static let knownKeys: [String: Set<String>] = [
    "": [
      "domain", "data_dir", "listen", "tls", "registration", "limits", "presence", "connection", "region", "metrics",
      "federation", "push", "attachments",
    ],
    "attachments": [
      "max_bytes", "quota_bytes", "max_chunk_bytes", "lifetime_days", "sweep_interval_seconds",
      "fetch_timeout_seconds", "max_concurrent_fetches",
    ],
    "push": [
      "gateway", "gateway_ca", "interval_seconds", "timeout_ms", "retry_initial_ms", "retry_maximum_seconds",
      "scan_interval_ms", "max_concurrent_calls",
    ],
    "metrics": ["listen"],
    "federation": [
      "peers", "regions", "gateway", "max_batch_events", "max_batches_per_second", "reconcile_interval_seconds",
    ],
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
      "name", "postgres_url", "redis_url", "node_id", "postgres_pool_size", "postgres_lease_timeout_ms",
      "postgres_statement_timeout_ms", "migrate_on_start", "session_ttl_seconds", "commit_lanes",
    ],
  ]

  /// Reads and checks a config file.
  package static func load(path: String) throws(RelayError) -> ConfigFile {
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
