import Foundation
import TLSIdentity
import Testing

@testable import Relay
@testable import RelayCore
@testable import RelayStorePostgres
@testable import RelayStoreSQLite
@testable import RelayTestSupport

@Suite("Configuration")
struct ConfigurationTests {
  func write(_ text: String) -> String {
    let path = makeTemporaryDirectory() + "/relay.yaml"
    try! Data(text.utf8).write(to: URL(fileURLWithPath: path))
    return path
  }

  @Test func defaults() {
    let config = RelayConfiguration.defaults
    #expect(config.listen == .init(host: "127.0.0.1", port: 7443))
    #expect(config.dataDirectory == "./relay-data")
    #expect(config.registration.policy == .open)
    #expect(config.presence.ttl == .seconds(60) && config.presence.heartbeatInterval == .seconds(30))
    #expect(config.presence.typingTTL == .seconds(5))
  }

  @Test func fileOverridesDefaults() throws {
    var config = RelayConfiguration.defaults
    try config.apply(
      configFile: self.write(
        """
        domain: relay.example
        listen: "[::1]:9000"
        registration: { policy: invite }
        limits: { sends_per_second: 5, max_group_members: 50 }
        presence: { ttl_seconds: 90 }
        attachments: { max_bytes: 1000, quota_bytes: 5000, max_chunk_bytes: 100, lifetime_days: 2,
          fetch_timeout_seconds: 7, max_concurrent_fetches: 3 }
        """))
    #expect(config.domain == "relay.example")
    #expect(config.listen == .init(host: "::1", port: 9000))
    #expect(config.registration.policy == .invite)
    #expect(config.limits.sendsPerSecond == 5 && config.limits.maxGroupMembers == 50)
    #expect(config.presence.ttl == .seconds(90))
    #expect(config.attachments.maxBytes == 1000 && config.attachments.quotaBytes == 5000)
    #expect(config.attachments.maxChunkBytes == 100 && config.attachments.lifetime == .seconds(2 * 86_400))
    #expect(config.attachments.fetchTimeout == .seconds(7) && config.attachments.maxConcurrentFetches == 3)
  }

  @Test(arguments: [
    "nonsense: 1", "limits: { max_group_member: 5 }", "limits: { sends_per_second: -1 }", "domain: Bad_Domain",
    "listen: nowhere", "registration: { policy: closed }", "tls: { certificate: /x.pem }", "limits: [1, 2]",
    "region: { postgres_lease_timeout_ms: 0 }", "region: { commit_lanes: 0 }", "attachments: { max_bytes: 0 }",
    "attachments: { max_chunk_bytes: 8388608 }", "attachments: { lifetime: 3 }",
    "attachments: { max_concurrent_fetches: 0 }",
  ])
  func badFiles(_ text: String) {
    var config = RelayConfiguration.defaults
    #expect(throws: RelayError.self) { try config.apply(configFile: self.write(text)) }
  }

  @Test("a region's commit lanes must leave the pool a connection; a Redis needs a PostgreSQL")
  func regionRules() throws {
    var region = RelayConfiguration.Region.defaults
    region.postgresURL = "postgres://relay@127.0.0.1/relay"
    try region.validate()
    region.commitLanes = region.postgresPoolSize
    #expect(throws: RelayError.self) { try region.validate() }
    region = .defaults
    region.redisURL = "redis://127.0.0.1"
    #expect(throws: RelayError.self) { try region.validate() }
  }

  @Test("regions of one domain: this relay's region name, and the other regions it links to, each once")
  func regions() throws {
    let key = { (digit: Character) in String(repeating: digit, count: 64) }
    var config = RelayConfiguration.defaults
    try config.apply(
      configFile: self.write(
        """
        domain: example.test
        region: { name: eu }
        federation:
          regions:
            - { name: us, address: "127.0.0.1:7001", fingerprint: \(key("a")) }
            - { name: ap, address: "127.0.0.1:7002", fingerprint: \(key("b")) }
        """))
    #expect(config.region.name == "eu")
    try config.federation.validate(localDomain: config.domain, region: config.region.name)
    let links = config.federation.links(localDomain: config.domain)
    #expect(links.map(\.relay) == ["example.test#us", "example.test#ap"])

    var broken = config.federation
    broken.regions[1].name = "eu"
    let own = #expect(throws: RelayError.self) { try broken.validate(localDomain: "example.test", region: "eu") }
    #expect(own?.message == "region eu is this relay's own or configured twice")
    broken = config.federation
    broken.regions[1].fingerprint = broken.regions[0].fingerprint
    let twice = #expect(throws: RelayError.self) { try broken.validate(localDomain: "example.test", region: "eu") }
    #expect(twice?.message == "two peers or regions are configured with the same key")
    broken = config.federation
    broken.peers = [
      .init(
        domain: "other.test", address: .init(host: "127.0.0.1", port: 7003),
        fingerprint: Fingerprint(bytes: Array(repeating: 3, count: 32)))
    ]
    let foreign = #expect(throws: RelayError.self) { try broken.validate(localDomain: "example.test", region: "eu") }
    #expect(foreign?.message.hasPrefix("only the domain's gateway region lists peers of other domains") == true)
    broken.gateway = "us"
    #expect(throws: RelayError.self, "peers on a region that is not the gateway") {
      try broken.validate(localDomain: "example.test", region: "eu")
    }
    broken.gateway = "eu"
    try broken.validate(localDomain: "example.test", region: "eu")
    broken.gateway = "mars"
    let unknown = #expect(throws: RelayError.self) { try broken.validate(localDomain: "example.test", region: "eu") }
    #expect(unknown?.message == "federation.gateway 'mars' is neither this region nor one of federation.regions")
    var gateway = config
    gateway.federation.gateway = "eu"
    #expect(gateway.isGateway && gateway.localRegion?.gatewayRelay == nil)
    gateway.federation.gateway = "us"
    #expect(!gateway.isGateway && gateway.localRegion?.gatewayRelay == "example.test#us")
    gateway.region.name = nil
    let alone = #expect(throws: RelayError.self) {
      try gateway.federation.validate(localDomain: "example.test", region: nil)
    }
    #expect(alone?.message == "federation.gateway needs region.name: this relay's own region")
    let unnamed = #expect(throws: RelayError.self) {
      try config.federation.validate(localDomain: "example.test", region: nil)
    }
    #expect(unnamed?.message == "federation.regions needs region.name: this relay's own region")
    for name in ["EU", "", "eu_west", String(repeating: "x", count: 33)] {
      var region = RelayConfiguration.Region.defaults
      region.name = name
      #expect(throws: RelayError.self, "region name \(name)") { try region.validate() }
    }
  }

  @Test("relative paths in a config file are relative to its folder; absolute ones stay")
  func pathsRelativeToTheFile() throws {
    var config = RelayConfiguration.defaults
    let path = self.write("data_dir: data\ntls: { certificate: ../certs/relay.pem, key: /etc/relay/key.pem }\n")
    try config.apply(configFile: path)
    let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
    #expect(config.dataDirectory == folder + "/data")
    #expect(
      config.tls.certificateChainPath == URL(fileURLWithPath: folder).deletingLastPathComponent().path
        + "/certs/relay.pem")
    #expect(config.tls.privateKeyPath == "/etc/relay/key.pem")
  }

  @Test func missingFile() {
    var config = RelayConfiguration.defaults
    #expect(throws: RelayError.self) { try config.apply(configFile: "/nonexistent/relay.yaml") }
  }
}
