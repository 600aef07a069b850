package import Wire

/// Which relay homes each user, as a store sees it inside a transaction
/// (docs/regions.md): a user of another domain lives on that domain's relay,
/// reached from a region through its domain's gateway region when that is
/// another one; on a region, a user of its own domain lives in the region
/// the directory of homes names (here when it names none). On a relay that
/// is no region, every user of its domain is here.
package struct RelayMap: Sendable {
  /// This relay's region of its domain; nil when it is its domain's only relay.
  package let local: LocalRegion?
  /// The home region of the users of the local domain that were looked up.
  package var homes: [UserAddress: String]

  package init(local: LocalRegion?, homes: [UserAddress: String] = [:]) {
    self.local = local
    self.homes = homes
  }

  /// The users whose homes the map needs from the directory: those of this region's domain.
  package func needsHomes(_ users: some Sequence<UserAddress>) -> [UserAddress] {
    guard let local = self.local else { return [] }
    return Array(Set(users.lazy.filter { $0.domain == local.domain }))
  }

  /// The relay id of `user`'s home relay.
  package func relay(of user: UserAddress) -> String {
    guard let local = self.local else { return user.domain }
    guard user.domain == local.domain else { return local.gatewayRelay ?? user.domain }
    return RelayID.of(domain: local.domain, region: self.homes[user] ?? local.name)
  }
}

/// A region's own name and domain, as its store knows them.
public struct LocalRegion: Sendable, Hashable {
  public var domain: String
  public var name: String
  /// The region of the domain that talks to other domains (`federation.gateway`):
  /// this one or another; nil when there is none.
  public var gateway: String?
  /// The other regions of the domain, by name (`federation.regions`).
  public var siblings: [String]

  public init(domain: String, name: String, gateway: String? = nil, siblings: [String] = []) {
    self.domain = domain
    self.name = name
    self.gateway = gateway
    self.siblings = siblings
  }

  /// The other regions' relay ids.
  public var siblingRelays: [String] { self.siblings.sorted().map { RelayID.of(domain: self.domain, region: $0) } }

  public var relay: String { RelayID.of(domain: self.domain, region: self.name) }
  /// Whether this region is its domain's gateway.
  public var isGateway: Bool { self.gateway == self.name }
  /// The gateway region's relay id, when it is another region.
  public var gatewayRelay: String? {
    self.gateway.flatMap { $0 == self.name ? nil : RelayID.of(domain: self.domain, region: $0) }
  }
}

extension RelayStore {
  /// The ``RelayID`` of the relay that homes `user`, seen from the relay of
  /// `domain` (and `region`, when it is one): nil when that is this relay
  /// (or nobody registered the user in the domain).
  package func relay(of user: UserAddress, domain: String, region: LocalRegion?) async throws -> String? {
    var relays = RelayMap(local: region)
    for needed in relays.needsHomes([user]) { relays.homes[needed] = try await self.home(of: needed)?.region }
    let relay = relays.relay(of: user)
    return relay == (region?.relay ?? domain) ? nil : relay
  }
}
