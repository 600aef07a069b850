import Foundation
import Testing

@testable import Relay

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
        """))
    #expect(config.domain == "relay.example")
    #expect(config.listen == .init(host: "::1", port: 9000))
    #expect(config.registration.policy == .invite)
    #expect(config.limits.sendsPerSecond == 5 && config.limits.maxGroupMembers == 50)
    #expect(config.presence.ttl == .seconds(90))
  }

  @Test(arguments: [
    "nonsense: 1", "limits: { max_group_member: 5 }", "limits: { sends_per_second: -1 }", "domain: Bad_Domain",
    "listen: nowhere", "registration: { policy: closed }", "tls: { certificate: /x.pem }", "limits: [1, 2]",
  ])
  func badFiles(_ text: String) {
    var config = RelayConfiguration.defaults
    #expect(throws: RelayError.self) { try config.apply(configFile: self.write(text)) }
  }

  @Test func missingFile() {
    var config = RelayConfiguration.defaults
    #expect(throws: RelayError.self) { try config.apply(configFile: "/nonexistent/relay.yaml") }
  }
}
