internal import GRPCCore
public import Logging
public import ServiceLifecycle
internal import Synchronization
internal import Wire

/// This relay's side of federation: one ``PeerLink`` per configured peer,
/// run as one service; look-ups of remote users go through it, and every
/// commit that wrote to an outbox wakes it.
public final class Federator: Service, Sendable {
  let localDomain: String
  private let links: [String: PeerLink]
  private let store: any FederationStore

  init(
    configuration: RelayConfiguration, certificate: RelayCertificate, store: any FederationStore, logger: Logger
  )
    throws(RelayError)
  {
    var links = [String: PeerLink]()
    for peer in configuration.federation.peers {
      do {
        links[peer.domain] = try PeerLink(
          peer: peer, certificate: certificate, store: store, configuration: configuration.federation,
          maxBatchBytes: configuration.limits.maxFrameBytes, logger: logger)
      } catch {
        throw RelayError(.invalidArgument, "cannot set up the link to peer \(peer.domain)", cause: error)
      }
    }
    self.localDomain = configuration.domain
    self.links = links
    self.store = store
  }

  public func run() async throws {
    try await withThrowingDiscardingTaskGroup { group in
      for link in self.links.values { group.addTask { try await link.run() } }
    }
  }

  /// New outbox rows may be waiting: every link looks now.
  func wake() {
    for link in self.links.values { link.wake() }
  }

  func wake(peer: String) { self.links[peer]?.wake() }

  var statuses: [PeerStatus] { self.links.values.map { $0.status.withLock { $0 } }.sorted { $0.domain < $1.domain } }

  /// Makes sure `user` is known here: nothing for a local user; for a user of
  /// a peer, asks the peer for its devices and remembers them (`notFound` if it has none).
  func know(_ user: UserAddress) async throws {
    guard user.domain != self.localDomain else { return }
    _ = try await self.lookup(user, deviceID: nil, claim: false)
  }

  /// Asks the relay that owns a conversation to make a membership change of a local user.
  func changeMembers(_ request: Relay_V1_MembershipChangeRequest, owner: String) async throws -> Relay_V1_Conversation {
    guard let link = self.links[owner] else {
      throw RelayError(.unavailable, "the conversation's home relay \(owner) is not a configured peer")
    }
    do {
      return try await link.client.changeMembers(request)
    } catch let error as RPCError {
      throw RelayError(forwarding: error, from: owner)
    }
  }

  /// A remote user's devices (remembered here) and, with `claim`, one prekey
  /// bundle per device, claimed on the user's relay.
  func lookup(_ user: UserAddress, deviceID: String?, claim: Bool) async throws -> Relay_V1_LookupUserResponse {
    guard let link = self.links[user.domain] else {
      throw RelayError(.notFound, "no peer relay is configured for the domain \(user.domain)")
    }
    var request = Relay_V1_LookupUserRequest()
    request.user = user.description
    request.deviceID = deviceID ?? ""
    request.claim = claim
    let response: Relay_V1_LookupUserResponse
    do {
      response = try await link.client.lookupUser(request)
    } catch let error as RPCError where error.code == .notFound {
      throw RelayError(.notFound, "\(user) is not a user of \(user.domain)")
    } catch let error as RPCError {
      throw RelayError(forwarding: error, from: user.domain)
    }
    guard !response.devices.isEmpty else { throw RelayError(.notFound, "\(user) has no devices") }
    try await self.store.rememberRemoteDevices(of: user, response.devices)
    return response
  }
}
