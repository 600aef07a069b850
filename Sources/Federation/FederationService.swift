internal import CoreMetrics
package import GRPCCore
package import Logging
package import RelayCore
internal import ServiceLifecycle
internal import TLSIdentity
package import Wire

/// The `relay.v1.Federation` service: what peers call. Every method first
/// finds the calling peer by its certificate's key; a key that matches no
/// configured peer gets `UNAUTHENTICATED` and nothing else.
package struct FederationService: Relay_V1_Federation.SimpleServiceProtocol {
  let configuration: RelayConfiguration
  let store: any FederationStore
  let federator: Federator
  /// Rings the devices an applied batch wrote to and wakes the peer links.
  let delivery: any FederationDelivery
  let presence: any FederationPresence
  let metrics: FederationMetrics
  /// Observes every applied message's time, so replies made here sort after what they answer.
  let clock: HybridLogicalClock
  let logger: Logger
  /// On the gateway region: copies of attachments it serves across domains.
  package var attachmentFetcher: AttachmentFetcher? = nil
  private let batchLimiter: RateLimiter<String>
  /// One warning a minute per refused key: a stranger can call as often as it likes.
  private let refusals = LogThrottle()

  package init(
    configuration: RelayConfiguration, store: any FederationStore, federator: Federator,
    delivery: any FederationDelivery,
    presence: any FederationPresence, metrics: FederationMetrics, clock: HybridLogicalClock, logger: Logger
  ) {
    self.clock = clock
    self.presence = presence
    self.configuration = configuration
    self.store = store
    self.federator = federator
    self.delivery = delivery
    self.metrics = metrics
    self.logger = logger
    let rate = configuration.federation.maxBatchesPerSecond
    self.batchLimiter = RateLimiter(
      rate: rate, burst: rate, refusal: "replicating faster than \(Int(rate)) batches a second")
  }

  var rules: FederationRules { self.configuration.federationRules }

  /// The configured peer behind the call's client certificate.
  func peer(of context: ServerContext) throws(RelayError) -> RelayConfiguration.Federation.Peer {
    let fingerprint = try PeerIdentity.fingerprint(of: context)
    guard let peer = self.federator.peer(fingerprint: fingerprint) else {
      self.metrics.refused.increment()
      if self.refusals.allows(fingerprint.description) {
        self.logger.warning(
          "refused a federation call: the certificate's key is no configured peer (at most one warning a minute per key)",
          metadata: ["from": "\(context.remotePeer)", "fingerprint": "\(fingerprint)"])
      }
      throw RelayError(.unauthenticated, "this certificate's key is not a configured peer")
    }
    return peer
  }

  package func replicate(
    request: RPCAsyncSequence<Relay_V1_ReplicationBatch, any Error>, response: RPCWriter<Relay_V1_ReplicationAck>,
    context: ServerContext
  ) async throws {
    let peer = try self.peer(of: context)
    // A stream from a peer never ends by itself: the relay's shutdown ends it
    // (the peer reconnects to this relay's next run).
    try await cancelWhenGracefulShutdown { try await self.apply(request, from: peer, response: response) }
  }

  private func apply(
    _ request: RPCAsyncSequence<Relay_V1_ReplicationBatch, any Error>, from peer: RelayConfiguration.Federation.Peer,
    response: RPCWriter<Relay_V1_ReplicationAck>
  ) async throws {
    let limit = self.configuration.federation.maxBatchEvents
    for try await batch in request {
      // A peer removed from the config (SIGHUP) is cut off on its open stream too, not only on its next call.
      guard self.federator.peer(fingerprint: peer.fingerprint)?.relay == peer.relay else {
        self.metrics.refused.increment()
        throw RelayError(.unauthenticated, "this certificate's key is not a configured peer")
      }
      guard batch.events.count <= limit else {
        throw RelayError(.resourceExhausted, "a batch may carry at most \(limit) events")
      }
      try self.batchLimiter.admit(peer.relay)
      let outcome = try await self.store.apply(batch.events, from: peer.relay, rules: self.rules)
      for event in batch.events where event.id <= outcome.throughID {
        if case .message(let message)? = event.event.event { self.clock.observe(message.hlc) }
      }
      self.delivery.committed(outcome.doorbells)
      if outcome.forwarded > 0 { self.metrics.gatewayForwarded.increment(by: outcome.forwarded) }
      if outcome.arrived > 0 { self.metrics.moves[.arrived]?.increment(by: outcome.arrived) }
      if !outcome.rehomed.isEmpty {
        self.metrics.rehomed.increment(by: outcome.rehomed.count)
        self.delivery.rehomed(outcome.rehomed)
      }
      let applied = batch.events.prefix { $0.id <= outcome.throughID }.count - outcome.rejected.count
      if applied > 0 { self.metrics.applied.increment(by: applied) }
      if !outcome.rejected.isEmpty {
        self.metrics.rejected.increment(by: outcome.rejected.count)
        for error in outcome.rejected {
          self.logger.warning(
            "refused an event from a peer", metadata: ["peer": "\(peer.relay)", "error": "\(error.message)"])
        }
      }
      var ack = Relay_V1_ReplicationAck()
      ack.throughID = outcome.throughID
      ack.rejected = UInt32(outcome.rejected.count)
      ack.deferred = outcome.deferred
      try await response.write(ack)
    }
  }

  package func lookupUser(
    request: Relay_V1_LookupUserRequest, context: ServerContext
  ) async throws -> Relay_V1_LookupUserResponse {
    let peer = try self.peer(of: context)
    let user = try RequestValidation.user(request.user, field: "user")
    if let relay = try await self.passedOn(user, from: peer.relay) {
      return try await self.federator.lookup(
        user, on: relay, deviceID: request.deviceID.isEmpty ? nil : request.deviceID, claim: request.claim)
    }
    guard user.domain == self.configuration.domain else {
      throw RelayError(.invalidArgument, "user must be homed on this relay (domain \(self.configuration.domain))")
    }
    if !request.deviceID.isEmpty, !DeviceAddress.isValidDeviceID(request.deviceID) {
      throw RelayError(.invalidArgument, "device_id: \(AddressError(.invalidDeviceID))")
    }
    var response = Relay_V1_LookupUserResponse()
    response.devices = try await self.store.devices(of: user).map(\.info)
    guard !response.devices.isEmpty else { throw RelayError(.notFound, "no such user") }
    if request.claim {
      response.bundles = try await self.store.claimPrekeyBundles(
        user: user, deviceID: request.deviceID.isEmpty ? nil : request.deviceID)
    }
    return response
  }

  package func changeMembers(
    request: Relay_V1_MembershipChangeRequest, context: ServerContext
  ) async throws -> Relay_V1_Conversation {
    let peer = try self.peer(of: context)
    let actor = try RequestValidation.user(request.actor, field: "actor")
    try await self.checkSpeaks(peer.relay, for: actor, "a peer may only change members on behalf of its own users")
    let id = try RequestValidation.conversationID(request.conversationID)
    guard request.add.users.count <= self.configuration.limits.maxGroupMembers else {
      throw RelayError(
        .resourceExhausted, "a group may have at most \(self.configuration.limits.maxGroupMembers) members")
    }
    let action = try request.action()
    let current = try await self.store.conversation(id: id, viewer: actor)
    // The gateway region passes a change on to the conversation's owner across domains.
    if let forwarding = GatewayForwarding(rules: self.rules, from: peer.relay),
      forwarding.crosses(to: current.homeRelay)
    {
      return try await self.federator.changeMembers(request, owner: current.homeRelay)
    }
    let change = MembershipChange(
      conversationID: id, actor: actor, action: action, nowMs: HybridLogicalClock.systemMilliseconds(),
      maxMembers: self.configuration.limits.maxGroupMembers, relay: self.configuration.relayID)
    // The actor may make the change (and it is within the limits) before other relays are asked about newcomers.
    if case .add(let newcomers) = try change.plan(on: current) {
      for user in newcomers { try await self.federator.lookUpAndCache(user) }
    }
    let after = try await self.store.changeMembers(change)
    self.delivery.committed([])
    var conversation = after?.wire ?? Relay_V1_Conversation()
    conversation.id = id
    conversation.unreadCount = 0
    return conversation
  }

  package func reconcile(
    request: Relay_V1_ReconcileRequest, context: ServerContext
  ) async throws -> Relay_V1_ReconcileResponse {
    let peer = try self.peer(of: context)
    let limit = FederationRules.maxReconcileEntries
    guard request.entries.count <= limit else {
      throw RelayError(.resourceExhausted, "a reconcile request may carry at most \(limit) entries")
    }
    guard request.entries.allSatisfy({ $0.origins.count <= VersionVector.maxOrigins }) else {
      throw RelayError(
        .resourceExhausted, "a version vector entry may name at most \(VersionVector.maxOrigins) origins")
    }
    // A reconcile request costs as much as a batch: it counts against the peer's batch rate.
    try self.batchLimiter.admit(peer.relay)
    for entry in request.entries { _ = try RequestValidation.conversationID(entry.conversationID) }
    let queued = try await self.store.requeue(
      for: peer.relay, localDomain: self.configuration.relayID, asGateway: self.configuration.isGateway,
      after: request.entries)
    if queued > 0 { self.federator.wake(peer: peer.relay) }
    var response = Relay_V1_ReconcileResponse()
    response.queued = UInt64(queued)
    return response
  }

  /// On the gateway region: the relay `user` lives on when a look-up from
  /// `peer` crosses there (another domain asking for a user of another
  /// region, or a region asking for a user of another domain); nil otherwise.
  func passedOn(_ user: UserAddress, from peer: String) async throws -> String? {
    guard let forwarding = GatewayForwarding(rules: self.rules, from: peer),
      let relay = try await self.store.relay(
        of: user, domain: self.configuration.domain, region: self.configuration.localRegion),
      forwarding.crosses(to: relay)
    else { return nil }
    return relay
  }

  /// Throws `permissionDenied` with `refusal` unless `peer` speaks for `user`
  /// (``FederationRules/speaks(_:for:)``); another region of this domain only
  /// for a user its directory homes there.
  func checkSpeaks(_ peer: String, for user: UserAddress, _ refusal: String) async throws {
    guard self.rules.speaks(peer, for: user) else { throw RelayError(.permissionDenied, refusal) }
    guard RelayID.region(of: peer) != nil, user.domain == self.configuration.domain else { return }
    try FederationRules.checkHomed(user, in: peer, home: try await self.store.home(of: user))
  }
}
