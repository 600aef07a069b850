internal import Foundation
internal import GRDB
public import RelayCore
public import Wire

extension SQLiteStore: PushStore {
  public func setPushEndpoint(_ endpoint: PushEndpoint, for device: DeviceAddress) async throws {
    try await self.write("setting a push endpoint") { db in
      try db.execute(
        sql: """
          INSERT INTO push_endpoints (user_address, device_id, kind, token, secret) VALUES (?, ?, ?, ?, ?)
          ON CONFLICT (user_address, device_id) DO UPDATE SET kind = excluded.kind, token = excluded.token,
            secret = excluded.secret, pushed_head = 0, next_at_ms = 0, attempts = 0
          """,
        arguments: [
          device.user.description, device.deviceID, endpoint.kind.rawValue, endpoint.token, endpoint.secret,
        ])
    }
  }

  public func pushEndpoint(for device: DeviceAddress) async throws -> PushEndpoint? {
    try await self.read("reading a push endpoint") { db in
      try Row.fetchOne(
        db, sql: "SELECT kind, token, secret FROM push_endpoints WHERE user_address = ? AND device_id = ?",
        arguments: [device.user.description, device.deviceID]
      ).map { PushEndpoint(kind: Relay_V1_PushKind(rawValue: $0[0]) ?? .unspecified, token: $0[1], secret: $0[2]) }
    }
  }

  public func removePushEndpoint(for device: DeviceAddress) async throws -> Bool {
    try await self.write("removing a push endpoint") { db in
      try db.execute(
        sql: "DELETE FROM push_endpoints WHERE user_address = ? AND device_id = ?",
        arguments: [device.user.description, device.deviceID])
      return db.changesCount > 0
    }
  }

  public func claimWakeUps(
    devices: [DeviceAddress]?, nowMs: Int64, leaseMs: Int64, limit: Int
  ) async throws -> [WakeUp] {
    // Read first (concurrent with the writer): most commits wake no one.
    let due = try await self.read("finding due wake-ups") { db in try Self.dueWakeUps(db, devices, nowMs, limit) }
    guard !due.isEmpty else { return [] }
    return try await self.write("claiming wake-ups") { db in
      // Again under the write lock: another claim may have come between.
      let claimed = try Self.dueWakeUps(db, due.map(\.device), nowMs, limit)
      let lease = try db.cachedStatement(
        sql: "UPDATE push_endpoints SET lease_until_ms = ? WHERE user_address = ? AND device_id = ?")
      for wakeUp in claimed {
        try lease.execute(arguments: [nowMs + leaseMs, wakeUp.device.user.description, wakeUp.device.deviceID])
      }
      return claimed
    }
  }

  public func wakeUpsPending() async throws -> Int64 {
    try await self.read("counting pending wake-ups") { db in
      try Int64.fetchOne(
        db,
        sql: """
          SELECT count(*) FROM push_endpoints p
          JOIN devices d ON d.user_address = p.user_address AND d.device_id = p.device_id
          WHERE d.mailbox_head > d.acked_cursor AND d.mailbox_head > p.pushed_head
          """) ?? 0
    }
  }

  public func finishWakeUp(_ wakeUp: WakeUp, _ result: WakeUpResult) async throws {
    let user = wakeUp.device.user.description
    let device = wakeUp.device.deviceID
    let head = Int64(clamping: wakeUp.head)
    try await self.write("finishing a wake-up") { db in
      switch result {
      case .sent(let nextAtMs), .dropped(let nextAtMs):
        try db.execute(
          sql: """
            UPDATE push_endpoints SET pushed_head = max(pushed_head, ?), next_at_ms = ?, attempts = 0, lease_until_ms = 0
            WHERE user_address = ? AND device_id = ?
            """,
          arguments: [head, nextAtMs, user, device])
      case .retry(let nextAtMs):
        try db.execute(
          sql: """
            UPDATE push_endpoints SET next_at_ms = ?, attempts = attempts + 1, lease_until_ms = 0
            WHERE user_address = ? AND device_id = ?
            """,
          arguments: [nextAtMs, user, device])
      case .gone:
        try db.execute(
          sql: "DELETE FROM push_endpoints WHERE user_address = ? AND device_id = ?", arguments: [user, device])
      case .skipped:
        try db.execute(
          sql: "UPDATE push_endpoints SET lease_until_ms = 0 WHERE user_address = ? AND device_id = ?",
          arguments: [user, device])
      }
    }
  }

  /// The wake-ups due at `nowMs` (of `devices`, if given): unclaimed, with
  /// entries waiting past what the last wake-up covered, and past their
  /// interval or backoff unless the device caught up since its last wake-up.
  private static func dueWakeUps(
    _ db: Database, _ devices: [DeviceAddress]?, _ nowMs: Int64, _ limit: Int
  ) throws -> [WakeUp] {
    let select = """
      SELECT p.user_address, p.device_id, p.kind, p.token, p.secret, d.mailbox_head, d.acked_cursor, p.attempts
      FROM push_endpoints p JOIN devices d ON d.user_address = p.user_address AND d.device_id = p.device_id
      WHERE d.mailbox_head > d.acked_cursor AND d.mailbox_head > p.pushed_head AND p.lease_until_ms <= ?
        AND (p.next_at_ms <= ? OR d.acked_cursor >= p.pushed_head)
      """
    var rows = [Row]()
    if let devices {
      // One statement per batch of hinted devices (a commit hints up to a batch's recipients).
      for chunk in Array(Set(devices)).chunked(by: 200) where rows.count < limit {
        var arguments: StatementArguments = [nowMs, nowMs]
        for device in chunk { arguments += [device.user.description, device.deviceID] }
        arguments += [limit - rows.count]
        let values = Array(repeating: "(?, ?)", count: chunk.count).joined(separator: ", ")
        rows += try Row.fetchAll(
          db, sql: select + " AND (p.user_address, p.device_id) IN (VALUES \(values)) LIMIT ?", arguments: arguments)
      }
    } else {
      rows = try Row.fetchAll(db, sql: select + " LIMIT ?", arguments: [nowMs, nowMs, limit])
    }
    return try rows.map { row in
      let head = UInt64(row[5] as Int64)
      return WakeUp(
        device: try DeviceAddress.stored(user: row[0], device: row[1]),
        endpoint: PushEndpoint(
          kind: Relay_V1_PushKind(rawValue: row[2]) ?? .unspecified, token: row[3], secret: row[4] as Data),
        head: head, waiting: head - UInt64(row[6] as Int64), attempts: row[7])
    }
  }
}

extension Array {
  /// The elements in runs of at most `size`.
  fileprivate func chunked(by size: Int) -> [ArraySlice<Element>] {
    stride(from: 0, to: self.count, by: size).map { self[$0 ..< Swift.min($0 + size, self.count)] }
  }
}
