internal import PostgresNIO
internal import RelayCore

/// Every device of every member of a conversation (those of other relays'
/// users as their relays described them), prepared once per
/// connection (a send checks its copies against them). One row with nulls
/// for a conversation without members; no row for an unknown conversation.
struct MemberDevicesStatement: PostgresPreparedStatement {
  typealias Row = (user: String?, device: String?)

  static let name = "relay_member_devices_v2"

  static let sql = """
    SELECT d.user_address, d.device_id FROM conversations c
    LEFT JOIN members m ON m.conversation_id = c.id
    LEFT JOIN devices d ON d.user_address = m.user_address
    WHERE c.id = $1::text
    UNION ALL
    SELECT r.user_address, r.device_id FROM members m
    JOIN remote_devices r ON r.user_address = m.user_address
    WHERE m.conversation_id = $1::text
    """

  let conversationID: String

  func makeBindings() throws -> PostgresBindings {
    var bindings = PostgresBindings(capacity: 1)
    bindings.append(self.conversationID)
    return bindings
  }

  func decodeRow(_ row: PostgresRow) throws -> Row {
    let (user, device) = try row.decode((String?, String?).self)
    return (user, device)
  }
}
