internal import Foundation
internal import NIOCore
internal import PostgresNIO
internal import RelayCore
internal import Wire

/// What a batch of sends reads before it writes (``PostgresStore/commit(_:clock:)``),
/// one statement each for the whole batch.
extension PostgresStore {
  /// A send's dedup key: its sender device and message id.
  struct MessageKey: Hashable {
    let user: String
    let device: String
    let messageID: String

    init(_ send: SendCommand) {
      self.user = send.sender.user.description
      self.device = send.sender.deviceID
      self.messageID = send.messageID.text
    }
  }

  /// Locks the batch's conversations (in id order) and reads their counters;
  /// a conversation that does not exist is absent.
  static func lockConversations(
    _ ids: Set<String>, _ db: PostgresConnection
  ) async throws -> [String: (lastSeq: Int64, lastOriginSeq: Int64)] {
    var counters = [String: (lastSeq: Int64, lastOriginSeq: Int64)](minimumCapacity: ids.count)
    for row in try await db.rows(
      """
      SELECT id, last_seq, last_origin_seq FROM conversations WHERE id = ANY(\(ids.sorted())::text[])
      ORDER BY id FOR UPDATE
      """)
    {
      let (id, lastSeq, lastOriginSeq) = try row.decode((String, Int64, Int64).self)
      counters[id] = (lastSeq, lastOriginSeq)
    }
    return counters
  }

  /// Inserts the dedup keys of `sends` (checked ones); returns those that
  /// were new. A key that exists belongs to a send committed before (a
  /// retry), or by another node a moment ago (its insert waited for that
  /// commit). A key twice in `sends` is inserted once.
  static func claimMessageIDs(_ sends: [SendCommand], _ db: PostgresConnection) async throws -> Set<MessageKey> {
    var seen = Set<MessageKey>()
    var users = [String]()
    var devices = [String]()
    var ids = [String]()
    var conversations = [String]()
    for send in sends where seen.insert(MessageKey(send)).inserted {
      users.append(send.sender.user.description)
      devices.append(send.sender.deviceID)
      ids.append(send.messageID.text)
      conversations.append(send.conversationID)
    }
    guard !ids.isEmpty else { return [] }
    var fresh = Set<MessageKey>(minimumCapacity: ids.count)
    for row in try await db.rows(
      """
      INSERT INTO message_ids (sender_user, sender_device, message_id, conversation_id)
      SELECT * FROM unnest(\(users)::text[], \(devices)::text[], \(ids)::text[], \(conversations)::text[])
      ON CONFLICT DO NOTHING RETURNING sender_user, sender_device, message_id
      """)
    {
      let (user, device, id) = try row.decode((String, String, String).self)
      fresh.insert(MessageKey(user: user, device: device, messageID: id))
    }
    return fresh
  }

  /// The users among `users` whose copies entering by `region` are held
  /// (a move's drain, docs/regions.md "Arrival order across a move"). The
  /// drain rows are locked shared, so a marker that ends a drain on another
  /// connection either commits first (nothing is held) or waits and releases
  /// the copies this batch holds too.
  static func drainingUsers(
    among users: Set<UserAddress>, region: LocalRegion?, _ db: PostgresConnection
  ) async throws -> Set<String> {
    guard let region, !users.isEmpty else { return [] }
    return Set(
      try await db.rows(
        """
        SELECT user_address FROM move_drains WHERE region = \(region.name)
          AND user_address = ANY(\(users.map(\.description))::text[]) FOR SHARE
        """
      ).map { try $0.decode(String.self) })
  }
}

extension PostgresStore.MessageKey {
  init(user: String, device: String, messageID: String) {
    self.user = user
    self.device = device
    self.messageID = messageID
  }
}

extension SendOutcome {
  /// What a retry of this send in the same batch gets: its result, marked a duplicate.
  var asDuplicate: SendOutcome {
    var result = self.result
    result.duplicate = true
    return SendOutcome(result: result, doorbells: [])
  }
}
