internal import Foundation
internal import PostgresNIO
public import RelayCore
public import Wire

extension PostgresStore: PushStore {
  public func setPushEndpoint(_ endpoint: PushEndpoint, for device: DeviceAddress) async throws {
    try await self.transaction("setting a push endpoint") { db in
      try await db.run(
        """
        INSERT INTO push_endpoints (user_address, device_id, kind, token, secret)
        VALUES (\(device.user.description), \(device.deviceID), \(Int16(endpoint.kind.rawValue)), \(endpoint.token),
          \(endpoint.secret))
        ON CONFLICT (user_address, device_id) DO UPDATE SET kind = excluded.kind, token = excluded.token,
          secret = excluded.secret, pushed_head = 0, next_at_ms = 0, attempts = 0
        """)
    }
  }

  public func pushEndpoint(for device: DeviceAddress) async throws -> PushEndpoint? {
    try await self.read("reading a push endpoint") { db in
      try await db.rows(
        """
        SELECT kind, token, secret FROM push_endpoints
        WHERE user_address = \(device.user.description) AND device_id = \(device.deviceID)
        """
      ).first.map { row in
        let (kind, token, secret) = try row.decode((Int16, String, Data).self)
        return PushEndpoint(kind: Relay_V1_PushKind(rawValue: Int(kind)) ?? .unspecified, token: token, secret: secret)
      }
    }
  }

  public func removePushEndpoint(for device: DeviceAddress) async throws -> Bool {
    try await self.transaction("removing a push endpoint") { db in
      try await !db.rows(
        """
        DELETE FROM push_endpoints WHERE user_address = \(device.user.description) AND device_id = \(device.deviceID)
        RETURNING 1
        """
      ).isEmpty
    }
  }

  public func claimWakeUps(
    devices: [DeviceAddress]?, nowMs: Int64, leaseMs: Int64, limit: Int
  ) async throws -> [WakeUp] {
    let users = devices.map { $0.map(\.user.description) } ?? []
    let ids = devices.map { $0.map(\.deviceID) } ?? []
    let all = devices == nil
    return try await self.transaction("claiming wake-ups") { db in
      // Due, unclaimed (SKIP LOCKED: a row another node is claiming is its),
      // then leased, in one statement.
      try await db.rows(
        """
        WITH due AS (
          SELECT p.user_address, p.device_id, d.mailbox_head, d.acked_cursor
          FROM push_endpoints p JOIN devices d ON d.user_address = p.user_address AND d.device_id = p.device_id
          WHERE d.mailbox_head > d.acked_cursor AND d.mailbox_head > p.pushed_head AND p.lease_until_ms <= \(nowMs)
            AND (p.next_at_ms <= \(nowMs) OR d.acked_cursor >= p.pushed_head)
            AND (\(all) OR (p.user_address, p.device_id) IN (SELECT * FROM unnest(\(users)::text[], \(ids)::text[])))
          LIMIT \(limit)
          FOR UPDATE OF p SKIP LOCKED
        )
        UPDATE push_endpoints p SET lease_until_ms = \(nowMs + leaseMs)
        FROM due WHERE p.user_address = due.user_address AND p.device_id = due.device_id
        RETURNING p.user_address, p.device_id, p.kind, p.token, p.secret, due.mailbox_head, due.acked_cursor, p.attempts
        """
      ).map { row in
        let (user, device, kind, token, secret, head, acked, attempts) = try row.decode(
          (String, String, Int16, String, Data, Int64, Int64, Int32).self)
        return WakeUp(
          device: try DeviceAddress.stored(user: user, device: device),
          endpoint: PushEndpoint(
            kind: Relay_V1_PushKind(rawValue: Int(kind)) ?? .unspecified, token: token, secret: secret),
          head: UInt64(head), waiting: UInt64(head - acked), attempts: Int(attempts))
      }
    }
  }

  public func wakeUpsPending() async throws -> Int64 {
    try await self.read("counting pending wake-ups") { db in
      try await db.rows(
        """
        SELECT count(*) FROM push_endpoints p
        JOIN devices d ON d.user_address = p.user_address AND d.device_id = p.device_id
        WHERE d.mailbox_head > d.acked_cursor AND d.mailbox_head > p.pushed_head
        """
      )[0].decode(Int64.self)
    }
  }

  public func finishWakeUp(_ wakeUp: WakeUp, _ result: WakeUpResult) async throws {
    let user = wakeUp.device.user.description
    let device = wakeUp.device.deviceID
    let head = Int64(clamping: wakeUp.head)
    try await self.transaction("finishing a wake-up") { db in
      switch result {
      case .sent(let nextAtMs), .dropped(let nextAtMs):
        try await db.run(
          """
          UPDATE push_endpoints SET pushed_head = greatest(pushed_head, \(head)), next_at_ms = \(nextAtMs), attempts = 0,
            lease_until_ms = 0
          WHERE user_address = \(user) AND device_id = \(device)
          """)
      case .retry(let nextAtMs):
        try await db.run(
          """
          UPDATE push_endpoints SET next_at_ms = \(nextAtMs), attempts = attempts + 1, lease_until_ms = 0
          WHERE user_address = \(user) AND device_id = \(device)
          """)
      case .gone:
        try await db.run("DELETE FROM push_endpoints WHERE user_address = \(user) AND device_id = \(device)")
      case .skipped:
        try await db.run(
          "UPDATE push_endpoints SET lease_until_ms = 0 WHERE user_address = \(user) AND device_id = \(device)")
      }
    }
  }
}
