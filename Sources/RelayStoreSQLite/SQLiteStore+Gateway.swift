internal import GRDB
internal import RelayCore
internal import Wire

/// The gateway region passing other domains' events on (docs/regions.md, "Other domains").
extension SQLiteStore {
  /// Queues what ``GatewayForwarding`` passes on for `event`, in the
  /// applying transaction; false when the gateway does not apply it itself.
  static func forward(
    _ event: PeerEvent, wire: Relay_V1_FederationEvent, _ forwarding: GatewayForwarding, _ db: Database
  ) throws -> Bool {
    let audience = try Self.users(GatewayForwarding.audience(of: event), db)
    let relays = try Self.relays(forwarding.local, for: audience, db)
    for (relay, forwarded) in forwarding.forwards(event, wire: wire, audience: audience, relays: relays) {
      try Self.enqueue(forwarded, for: relay, db)
    }
    return forwarding.appliesHere(event, relays: relays)
  }

  private static func users(_ audience: GatewayForwarding.Audience, _ db: Database) throws -> [UserAddress] {
    let stored: [String]
    switch audience {
    case .nobody: return []
    case .user(let user): return [user]
    case .members(let id, let also):
      stored = try String.fetchAll(
        db, sql: "SELECT user_address FROM members WHERE conversation_id = ?", arguments: [id])
      return try stored.map(UserAddress.init(parsing:)) + also
    case .coMembers(let user):
      stored = try String.fetchAll(
        db,
        sql: """
          SELECT DISTINCT other.user_address FROM members mine
          JOIN members other ON other.conversation_id = mine.conversation_id
          WHERE mine.user_address = ?
          """,
        arguments: [user.description])
    }
    return try stored.map(UserAddress.init(parsing:))
  }
}
