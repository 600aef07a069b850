internal import GRDB
internal import RelayCore
internal import Wire

/// The gateway region passing other domains' events on (docs/regions.md, "Other domains").
extension SQLiteStore {
  /// Queues what ``GatewayForwarding`` passes on for `event`, in the
  /// applying transaction: how many events it queued, and whether the
  /// gateway applies `event` itself too.
  static func forward(
    _ event: PeerEvent, wire: Relay_V1_FederationEvent, _ forwarding: GatewayForwarding, _ db: Database
  ) throws -> (queued: Int, appliesHere: Bool) {
    let audience = try Self.users(GatewayForwarding.audience(of: event), db)
    let relays = try Self.relays(forwarding.local, for: audience, db)
    let forwards = forwarding.forwards(event, wire: wire, audience: audience, relays: relays)
    for (relay, forwarded) in forwards {
      try Self.enqueue(forwarded, for: relay, db)
    }
    return (forwards.count, forwarding.appliesHere(event, relays: relays))
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
