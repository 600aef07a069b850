/// How relays name each other in outboxes, links and origins: a relay that
/// is its domain's only one is its domain (`b.example`); a region of a
/// domain is `domain#region` (`example.com#eu`), which no user's domain can be.
public enum RelayID {
  public static func of(domain: String, region: String?) -> String {
    guard let region else { return domain }
    return "\(domain)#\(region)"
  }

  /// The region part of a relay id, nil for a relay that is no region.
  public static func region(of id: String) -> String? {
    guard let hash = id.firstIndex(of: "#") else { return nil }
    return String(id[id.index(after: hash)...])
  }

  /// The domain part of a relay id.
  public static func domain(of id: String) -> Substring {
    id.prefix { $0 != "#" }
  }

  /// Region names: 1 to 32 lower-case letters, digits and '-'.
  public static func isValidRegion(_ name: String) -> Bool {
    (1 ... 32).contains(name.utf8.count)
      && name.utf8.allSatisfy { ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2D }
  }
}

extension RelayConfiguration {
  /// This relay's region of its domain, when `region.name` names one.
  public var localRegion: LocalRegion? {
    self.region.name.map {
      LocalRegion(
        domain: self.domain, name: $0, gateway: self.federation.gateway,
        siblings: self.federation.regions.map(\.name))
    }
  }
  /// Whether this relay is its domain's gateway region to other domains (`federation.gateway`).
  public var isGateway: Bool { self.localRegion?.isGateway ?? false }
  /// This relay's ``RelayID``: the origin of its messages, the home of the conversations created here.
  public var relayID: String { RelayID.of(domain: self.domain, region: self.region.name) }
}
