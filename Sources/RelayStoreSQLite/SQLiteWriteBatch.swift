internal import GRDB
internal import RelayCore
internal import Wire

/// What one write transaction has read and will write, so that each
/// conversation and each device is read once and written once per
/// transaction instead of once per message: a conversation's counters and
/// member devices, a user's devices, and every device's mailbox head. A group
/// commit of sends, or an ack that writes a receipt for each message it
/// covers, touches the same few rows over and over.
///
/// A send changes it only once it is written, so a refused send leaves no
/// trace; ``flush(_:)`` writes the counters and the heads before the
/// transaction commits.
struct SQLiteWriteBatch {
  struct Conversation {
    var lastSeq: Int64
    var lastOriginSeq: Int64
    /// Every device of every member, local and remote.
    var devices: MemberDevices
    /// The time of the last send placed in this batch; nil until one is.
    var activityMs: Int64?
  }

  /// This relay's region, when it is one: where users of its domain live comes from the directory of homes.
  let region: LocalRegion?
  private var conversations: [String: Conversation] = [:]
  private var heads: [DeviceAddress: (head: Int64, advanced: Bool)] = [:]
  private var userDevices: [String: [DeviceAddress]] = [:]
  /// Whether any moved user still waits for this region's marker; read once per batch.
  private var draining: Bool?

  init(region: LocalRegion?) { self.region = region }

  /// The conversation as this batch knows it; throws NOT_FOUND for an unknown one.
  mutating func conversation(_ id: String, _ db: Database) throws -> Conversation {
    if let known = self.conversations[id] { return known }
    guard
      let row = try db.cachedStatement(sql: "SELECT last_seq, last_origin_seq FROM conversations WHERE id = ?")
        .fetchOneRow(arguments: [id])
    else { throw RelayError(.notFound, "unknown conversation") }
    let rows = try db.cachedStatement(
      sql: """
        SELECT d.user_address, d.device_id FROM members m JOIN devices d ON d.user_address = m.user_address WHERE m.conversation_id = ?
        UNION ALL
        SELECT r.user_address, r.device_id FROM members m JOIN remote_devices r ON r.user_address = m.user_address WHERE m.conversation_id = ?
        """
    ).fetchAllRows(arguments: [id, id])
    let devices = MemberDevices(rows.lazy.map { (user: $0[0] as String, device: $0[1] as String) })
    let conversation = Conversation(lastSeq: row[0], lastOriginSeq: row[1], devices: devices)
    self.conversations[id] = conversation
    return conversation
  }

  /// This region's name when its copies for `user` are held now (docs/regions.md,
  /// "Arrival order across a move"); nil almost always, after one read per batch.
  mutating func holder(of user: UserAddress, _ db: Database) throws -> String? {
    guard let region = self.region else { return nil }
    if self.draining == nil {
      self.draining =
        try db.cachedStatement(sql: "SELECT 1 FROM move_drains WHERE region = ? LIMIT 1")
        .fetchOneRow(arguments: [region.name]) != nil
    }
    guard self.draining == true, try SQLiteStore.holds(user, from: region.name, db) else { return nil }
    return region.name
  }

  /// The last cursor written to `device`'s mailbox, in this batch or before it.
  mutating func head(of device: DeviceAddress, _ db: Database) throws -> Int64 {
    if let known = self.heads[device] { return known.head }
    guard
      let head = try db.cachedStatement(
        sql: "SELECT mailbox_head FROM devices WHERE user_address = ? AND device_id = ?"
      )
      .fetchOneRow(arguments: [device.user.description, device.deviceID])?[0] as Int64?
    else { throw RelayError(.notFound, "unknown device") }
    self.heads[device] = (head, false)
    return head
  }

  /// Appends `entry` to `device`'s mailbox at the next cursor.
  mutating func append(_ entry: Relay_V1_MailboxEntry, to device: DeviceAddress, _ db: Database) throws -> Doorbell {
    let head = try self.head(of: device, db) + 1
    let doorbell = try SQLiteStore.insertMailboxEntry(db, device: device, cursor: head, entry: entry)
    self.heads[device] = (head, true)
    return doorbell
  }

  /// A local user's devices.
  mutating func devices(of user: String, _ db: Database) throws -> [DeviceAddress] {
    if let known = self.userDevices[user] { return known }
    let devices = try String.fetchAll(
      db.cachedStatement(sql: "SELECT device_id FROM devices WHERE user_address = ?"), arguments: [user]
    ).map { try DeviceAddress.stored(user: user, device: $0) }
    self.userDevices[user] = devices
    return devices
  }

  /// Records a committed send's numbers as the conversation's new counters
  /// (its recipients' heads advanced as ``append(_:to:_:)`` wrote their entries).
  mutating func placed(in conversationID: String, seq: Int64, originSeq: Int64, atMs: Int64) {
    self.conversations[conversationID]?.lastSeq = seq
    self.conversations[conversationID]?.lastOriginSeq = originSeq
    self.conversations[conversationID]?.activityMs = atMs
  }

  /// Writes what the batch changed, before its transaction commits.
  func flush(_ db: Database) throws {
    let conversation = try db.cachedStatement(
      sql: "UPDATE conversations SET last_seq = ?, last_origin_seq = ?, last_activity_ms = ? WHERE id = ?")
    for (id, state) in self.conversations {
      guard let activityMs = state.activityMs else { continue }
      try conversation.execute(arguments: [state.lastSeq, state.lastOriginSeq, activityMs, id])
    }
    let device = try db.cachedStatement(
      sql: "UPDATE devices SET mailbox_head = ? WHERE user_address = ? AND device_id = ?")
    for (address, (head, advanced)) in self.heads where advanced {
      try device.execute(arguments: [head, address.user.description, address.deviceID])
    }
  }
}
