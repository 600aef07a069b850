internal import Foundation
internal import Relay
internal import RelayCore

/// A relay's config file (an operator's, but a typo or a hostile template
/// must not crash the relay): written to a file and read as `--config` reads it.
enum ConfigFileTarget {
  static let target = FuzzTarget(
    name: "config", summary: "config files, as relay serve --config reads them", seeds: { Self.seeds }, run: Self.run)

  static let path = NSTemporaryDirectory() + "relay-fuzz-config-\(getpid()).yaml"

  static func run(_ data: Data) {
    guard FileManager.default.createFile(atPath: Self.path, contents: data) else { return }
    var configuration = RelayConfiguration.defaults
    try? configuration.apply(configFile: Self.path)
  }

  static var seeds: [Data] {
    [
      "domain: relay.example\nlisten: 0.0.0.0:7443\nregistration: { policy: invite }\n",
      "limits:\n  max_envelope_bytes: 65536\n  sends_per_second: 50\nconnection: { idle_timeout_seconds: 30 }\n",
      "federation:\n  peers:\n    - { domain: b.example, address: \"127.0.0.1:7444\", fingerprint: "
        + String(repeating: "ab", count: 32) + " }\n",
      "region: { postgres_url: \"postgres://relay@127.0.0.1:5432/relay\", redis_url: \"redis://127.0.0.1:6379\" }\n",
    ].map { Data($0.utf8) }
  }
}
