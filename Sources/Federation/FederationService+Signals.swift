package import GRPCCore
internal import RelayCore
package import Wire

/// `Signal`: a peer's typing and presence changes, and the users of this
/// relay its devices watch. On the gateway region (docs/regions.md), what
/// crosses between the domain and other domains is passed on.
extension FederationService {
  package func signal(request: Relay_V1_SignalBatch, context: ServerContext) async throws -> Relay_V1_SignalAck {
    let peer = try self.peer(of: context)
    guard request.typing.count + request.presence.count + request.watch.count <= 1024 else {
      throw RelayError(.resourceExhausted, "a signal batch carries at most 1024 items")
    }
    let forwarding = GatewayForwarding(rules: self.rules, from: peer.relay)
    for typing in request.typing {
      let user = try RequestValidation.user(typing.user, field: "typing.user")
      try await self.checkSpeaks(peer.relay, for: user, "a peer may only signal typing of its own users")
      let id = try RequestValidation.conversationID(typing.conversationID)
      let members = try await self.store.conversation(id: id, viewer: user).members.map(\.user)
      let audience = members.filter { $0.domain == self.configuration.domain }
      self.presence.broadcastTyping(conversationID: id, user: user, typing: typing.typing, audience: audience)
      if let forwarding { self.federator.passOn(typing, members: members, forwarding) }
    }
    for presence in request.presence {
      let user = try RequestValidation.user(presence.user, field: "presence.user")
      try await self.checkSpeaks(peer.relay, for: user, "a peer may only signal presence of its own users")
      self.presence.deliver(presence)
    }
    var ack = Relay_V1_SignalAck()
    guard !request.watch.isEmpty else { return ack }
    var local = [UserAddress]()
    var passedOn = [UserAddress: String]()
    for (index, text) in request.watch.enumerated() {
      let user = try RequestValidation.user(text, field: "watch[\(index)]")
      if let relay = try await self.passedOn(user, from: peer.relay) {
        passedOn[user] = relay
      } else if user.domain == self.configuration.domain {
        local.append(user)
      } else {
        throw RelayError(.invalidArgument, "watch[\(index)] is not a user of this relay")
      }
    }
    try self.federator.addWatchers(peer.relay, of: local + passedOn.keys)
    ack.current = self.presence.current(local)
    // The gateway watches the rest where they live, and passes their changes on.
    if !passedOn.isEmpty { ack.current += await self.federator.watch(passedOn) }
    return ack
  }
}
