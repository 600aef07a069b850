internal import CoreMetrics
internal import Foundation
internal import GRPCCore
package import Logging
package import RelayCore
public import ServiceLifecycle
internal import Synchronization
internal import TLSIdentity
package import Wire

/// This relay's side of federation: one ``PeerLink`` per configured peer,
/// run as one service. Look-ups of remote users and membership changes of
/// remote-owned conversations go through it; every commit that may have
/// written to an outbox wakes it. The peers can be replaced while it runs
/// (``reload(_:)``, on SIGHUP).
public final class Federator: Service, Sendable {
  let localDomain: String
  private let state: Mutex<(peers: [RelayConfiguration.Federation.Peer], links: [String: PeerLink])>
  /// Local user -> the peers whose devices watch its presence.
  private let watched = Mutex<[UserAddress: Set<String>]>([:])
  private let started: (stream: AsyncStream<PeerLink>, continuation: AsyncStream<PeerLink>.Continuation)
  private let store: any FederationStore
  private let configuration: RelayConfiguration
  private let certificate: RelayCertificate
  let metrics: FederationMetrics
  private let logger: Logger

  package init(
    configuration: RelayConfiguration, certificate: RelayCertificate, store: any FederationStore,
    metrics: FederationMetrics, logger: Logger
  )
    throws(RelayError)
  {
    self.localDomain = configuration.domain
    self.store = store
    self.configuration = configuration
    self.certificate = certificate
    self.metrics = metrics
    self.logger = logger
    self.state = Mutex(([], [:]))
    self.started = AsyncStream.makeStream(of: PeerLink.self)
    try self.reload(configuration.federation)
  }

  public func run() async throws {
    try await withThrowingDiscardingTaskGroup { group in
      // Each link ends by itself on graceful shutdown; this loop only starts new ones.
      await withGracefulShutdownHandler {
        for await link in self.started.stream { group.addTask { try await link.run() } }
      } onGracefulShutdown: {
        self.started.continuation.finish()
      }
    }
  }

  /// Replaces the peers: links to removed or changed peers stop, new ones
  /// start. Outbox rows for a removed peer stay until it is added again.
  package func reload(_ federation: RelayConfiguration.Federation) throws(RelayError) {
    try federation.validate(localDomain: self.localDomain, region: self.configuration.region.name)
    var made = [String: PeerLink]()
    let peers = federation.links(localDomain: self.localDomain)
    for peer in peers {
      if let link = self.state.withLock({ $0.links[peer.relay] }), link.peer == peer { continue }
      do {
        made[peer.relay] = try PeerLink(
          peer: peer, certificate: self.certificate, store: self.store, configuration: federation,
          maxBatchBytes: self.configuration.limits.maxFrameBytes, node: self.configuration.region.nodeID,
          localRegion: self.configuration.localRegion, logger: self.logger)
      } catch {
        throw RelayError(.invalidArgument, "cannot set up the link to peer \(peer.relay)", cause: error)
      }
    }
    let stopped = self.state.withLock { state in
      let wanted = Set(peers.map(\.relay))
      var stopped = [PeerLink]()
      for (relay, link) in state.links where !wanted.contains(relay) || made[relay] != nil {
        stopped.append(link)
        state.links[relay] = nil
      }
      state.links.merge(made) { _, new in new }
      state.peers = peers
      return stopped
    }
    for link in stopped { link.stop() }
    for link in made.values { self.started.continuation.yield(link) }
  }

  /// The configured peer whose certificate carries `fingerprint`.
  func peer(fingerprint: Fingerprint) -> RelayConfiguration.Federation.Peer? {
    self.state.withLock { $0.peers.first { $0.fingerprint == fingerprint } }
  }

  /// The link to a relay, by its ``RelayID`` (a peer of another domain: its
  /// domain). A region reaches other domains through its domain's gateway
  /// region; a region of another domain is reached through that domain's
  /// one peer entry (docs/regions.md, "Other domains").
  func link(_ relay: String) -> PeerLink? {
    let domain = String(RelayID.domain(of: relay))
    let gateway = domain == self.localDomain ? nil : self.configuration.localRegion?.gatewayRelay
    return self.state.withLock { state in
      state.links[relay] ?? gateway.flatMap { state.links[$0] } ?? state.links[domain]
    }
  }

  /// The other regions of this relay's domain, by relay id.
  var siblings: [String] { self.state.withLock { $0.peers.filter { $0.region != nil }.map(\.relay) } }

  /// `peer`'s devices watch the presence of these local users (up to a bound per peer).
  func addWatchers(_ peer: String, of users: [UserAddress]) throws(RelayError) {
    try self.watched.withLock { (watched) throws(RelayError) in
      let already = watched.values.lazy.filter { $0.contains(peer) }.count
      guard already + users.count <= Self.maxWatchedUsersPerPeer else {
        throw RelayError(.resourceExhausted, "a peer may watch at most \(Self.maxWatchedUsersPerPeer) users")
      }
      for user in users { watched[user, default: []].insert(peer) }
    }
  }

  func watchers(of user: UserAddress) -> Set<String> { self.watched.withLock { $0[user] ?? [] } }

  /// New outbox rows may be waiting: every link looks now.
  package func wake() {
    // On every commit: no allocation when there are no peers.
    self.state.withLock { state in
      for link in state.links.values { link.wake() }
    }
  }

  func wake(peer: String) { self.link(peer)?.wake() }

  /// Every peer's state, by domain: what `relay peers` prints.
  var statuses: [PeerStatus] {
    self.state.withLock { Array($0.links.values) }.map { $0.status.withLock { $0 } }.sorted {
      ($0.domain, $0.region ?? "") < ($1.domain, $1.region ?? "")
    }
  }

  /// Makes sure `user` is known here: nothing for a local user; for a user of
  /// a peer, asks the peer for its devices and remembers them (`notFound` if it has none).
  package func lookUpAndCache(_ user: UserAddress) async throws {
    let region = self.configuration.localRegion
    guard let relay = try await self.store.relay(of: user, domain: self.localDomain, region: region) else { return }
    _ = try await self.lookup(user, on: relay, deviceID: nil, claim: false)
  }

  /// Asks the relay that owns a conversation to make a membership change of a local user.
  package func changeMembers(
    _ request: Relay_V1_MembershipChangeRequest, owner: String
  ) async throws -> Relay_V1_Conversation {
    guard let link = self.link(owner) else {
      throw RelayError(.unavailable, "the conversation's home relay \(owner) is not a configured peer")
    }
    if RelayID.region(of: owner) != nil { self.metrics.routedCalls.increment() }
    do {
      return try await link.client.changeMembers(request, options: link.callOptions())
    } catch let error as RPCError {
      throw RelayError(forwarding: error, from: owner)
    }
  }

  /// A remote user's devices (remembered here) and, with `claim`, one prekey
  /// bundle per device, claimed on `relay`, the user's (a ``RelayID``).
  /// `patience` shortens the call's wait for the peer (default: the link's
  /// 10 s; half a second while replication to it is failing).
  package func lookup(
    _ user: UserAddress, on relay: String, deviceID: String?, claim: Bool, patience: Duration? = nil
  ) async throws -> Relay_V1_LookupUserResponse {
    guard let link = self.link(relay) else {
      if let region = RelayID.region(of: relay) {
        throw RelayError(.unavailable, "\(user)'s home region \(region) is not a configured region")
      }
      throw RelayError(.notFound, "no peer relay is configured for the domain \(user.domain)")
    }
    if RelayID.region(of: relay) != nil { self.metrics.routedCalls.increment() }
    var request = Relay_V1_LookupUserRequest()
    request.user = user.description
    request.deviceID = deviceID ?? ""
    request.claim = claim
    let response: Relay_V1_LookupUserResponse
    do {
      response = try await link.client.lookupUser(request, options: link.callOptions(patience: patience))
    } catch let error as RPCError {
      throw RelayError(calling: relay, failed: error, notFound: "\(user) is not a user of \(relay)")
    }
    guard !response.devices.isEmpty else { throw RelayError(.notFound, "\(user) has no devices") }
    try await self.store.rememberRemoteDevices(of: user, response.devices)
    return response
  }

  /// `statuses` as JSON, for the admin listener.
  package func statusJSON() -> [UInt8] {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    return Array((try? encoder.encode(self.statuses)) ?? Data("[]".utf8))
  }
}
