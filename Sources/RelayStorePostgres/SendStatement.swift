internal import Foundation
internal import NIOCore
internal import PostgresNIO
internal import RelayCore
internal import Wire

/// A send's one writing statement (a local send, or a message replicated
/// from another relay), prepared once per connection: the dedup
/// key, the conversation's next sequence numbers, the message and its copies,
/// each recipient's mailbox head and mailbox entry — or, for a moved user
/// whose copies entering by region `holdFor` are held (docs/regions.md,
/// "Arrival order across a move"), a held copy instead; the drain row is
/// locked (shared), so a marker that ends the drain on another connection
/// either commits first (nothing is held) or waits and releases this copy
/// too. It returns the numbers
/// and the new head of every recipient device; no row at all when the dedup
/// key already existed (nothing was written).
///
/// Prepared (named), PostgreSQL parses it once per connection and can keep
/// a generic plan; as an unnamed statement it was parsed and planned for
/// every send.
struct SendStatement: PostgresPreparedStatement {
  typealias Row = (seq: Int64, originSeq: Int64, user: String?, device: String?, head: Int64?)

  static let name = "relay_send_v4"

  static let sql = """
    WITH ids AS (
      INSERT INTO message_ids (sender_user, sender_device, message_id, conversation_id)
      VALUES ($1::text, $2::text, $3::text, $4::text)
      ON CONFLICT DO NOTHING RETURNING 1
    ), conv AS (
      UPDATE conversations SET last_seq = last_seq + 1,
        last_origin_seq = last_origin_seq + (CASE WHEN $12::bigint IS NULL THEN 1 ELSE 0 END),
        last_activity_ms = greatest(last_activity_ms, $7::bigint)
      WHERE id = $4::text AND EXISTS (SELECT 1 FROM ids)
      RETURNING last_seq, coalesce($12::bigint, last_origin_seq) AS origin_seq
    ), msg AS (
      INSERT INTO messages (conversation_id, seq, message_id, sender_user, sender_device, hlc, origin_relay,
        origin_seq, sent_at_ms)
      SELECT $4::text, last_seq, $3::text, $1::text, $2::text, $6::bigint, $8::text, origin_seq, $7::bigint
      FROM conv
    ), t AS (
      SELECT * FROM unnest($9::text[], $10::text[], $11::bytea[]) AS t(u, d, x)
    ), cp AS (
      INSERT INTO copies (conversation_id, seq, recipient_user, recipient_device, ciphertext)
      SELECT $4::text, conv.last_seq, t.u, t.d, t.x FROM conv, t
    ), held AS (
      SELECT t.u, t.d FROM t JOIN move_drains md ON md.user_address = t.u AND md.region = $13::text
      FOR SHARE OF md
    ), hc AS (
      INSERT INTO held_copies (user_address, region, device_id, conversation_id, seq)
      SELECT held.u, $13::text, held.d, $4::text, conv.last_seq
      FROM held JOIN devices dv ON dv.user_address = held.u AND dv.device_id = held.d, conv
    ), heads AS (
      UPDATE devices dv SET mailbox_head = dv.mailbox_head + 1 FROM t
      WHERE dv.user_address = t.u AND dv.device_id = t.d AND EXISTS (SELECT 1 FROM conv)
        AND NOT EXISTS (SELECT 1 FROM held WHERE held.u = t.u)
      RETURNING dv.user_address, dv.device_id, dv.mailbox_head
    ), mb AS (
      INSERT INTO mailbox (user_address, device_id, cursor, kind, conversation_id, seq, message_id, sender,
        sender_user, hlc, origin_relay, origin_seq, sent_at_ms, ciphertext)
      SELECT h.user_address, h.device_id, h.mailbox_head, 0, $4::text, conv.last_seq, $3::text, $5::text,
        $1::text, $6::bigint, $8::text, conv.origin_seq, $7::bigint, t.x
      FROM heads h JOIN t ON t.u = h.user_address AND t.d = h.device_id, conv
    )
    SELECT conv.last_seq, conv.origin_seq, h.user_address, h.device_id, h.mailbox_head
    FROM conv LEFT JOIN heads h ON true
    """

  let send: SendCommand
  let hlc: UInt64
  /// The send's time: now for a local send, the origin's for a replicated one.
  let nowMs: Int64
  /// Set for a message replicated from another relay: its origin sequence
  /// (the conversation's own origin counter is left alone); nil for a local send.
  var originSeq: Int64? = nil
  /// On a region, the region the message entered the domain by
  /// (``LocalRegion/entryRegion(of:)``): this one for a local send.
  var holdFor: String? = nil

  func makeBindings() throws -> PostgresBindings {
    var bindings = PostgresBindings(capacity: 13)
    bindings.append(self.send.sender.user.description)
    bindings.append(self.send.sender.deviceID)
    bindings.append(self.send.messageID.text)
    bindings.append(self.send.conversationID)
    bindings.append(self.send.sender.description)
    bindings.append(Int64(bitPattern: self.hlc))
    bindings.append(self.nowMs)
    bindings.append(self.send.originRelay)
    bindings.append(self.send.copies.map(\.device.user.description))
    bindings.append(self.send.copies.map(\.device.deviceID))
    bindings.append(self.send.copies.map { ByteBuffer(bytes: $0.ciphertext) })
    bindings.append(self.originSeq)
    bindings.append(self.holdFor)
    return bindings
  }

  func decodeRow(_ row: PostgresRow) throws -> Row {
    let (seq, originSeq, user, device, head) = try row.decode((Int64, Int64, String?, String?, Int64?).self)
    return (seq, originSeq, user, device, head)
  }
}
