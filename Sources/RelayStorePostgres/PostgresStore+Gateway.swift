internal import PostgresNIO
internal import RelayCore
internal import Wire

/// The gateway region passing other domains' events on (docs/regions.md, "Other domains").
extension PostgresStore {
  /// Queues what ``GatewayForwarding`` passes on for `event`, in the
  /// applying transaction: how many events it queued, and whether the
  /// gateway applies `event` itself too.
  static func forward(
    _ event: PeerEvent, wire: Relay_V1_FederationEvent, _ forwarding: GatewayForwarding, _ db: PostgresConnection
  ) async throws -> (queued: Int, appliesHere: Bool) {
    let audience = try await Self.users(GatewayForwarding.audience(of: event), db)
    let relays = try await Self.relays(forwarding.local, for: audience, db)
    let forwards = forwarding.forwards(event, wire: wire, audience: audience, relays: relays)
    for (relay, forwarded) in forwards {
      try await Self.enqueue(forwarded, for: relay, db)
    }
    return (forwards.count, forwarding.appliesHere(event, relays: relays))
  }

  private static func users(
    _ audience: GatewayForwarding.Audience, _ db: PostgresConnection
  ) async throws -> [UserAddress] {
    let rows: [PostgresRow]
    var also = [UserAddress]()
    switch audience {
    case .nobody: return []
    case .user(let user): return [user]
    case .members(let id, let others):
      also = others
      rows = try await db.rows("SELECT user_address FROM members WHERE conversation_id = \(id)")
    case .coMembers(let user):
      rows = try await db.rows(
        """
        SELECT DISTINCT other.user_address FROM members mine
        JOIN members other ON other.conversation_id = mine.conversation_id
        WHERE mine.user_address = \(user.description)
        """)
    }
    return try rows.map { try UserAddress(parsing: try $0.decode(String.self)) } + also
  }
}
