internal import RelayCore
internal import Wire

/// A message on one of the region's Redis channels, as text: fields joined
/// by tabs (addresses and ids never contain one).
enum RegionEvent: Sendable, Equatable {
  /// "device D has mailbox entries up to cursor C" (the node's doorbell channel).
  case doorbell(DeviceAddress, cursor: UInt64)
  /// A user's presence changed (the events channel).
  case presence(UserAddress, online: Bool, lastSeenMs: Int64)
  /// Someone started or stopped typing; `node` is where they type.
  case typing(node: String, conversationID: String, user: UserAddress, typing: Bool, audience: [UserAddress])
  /// "Every node: let each session look at its mailbox" (the events
  /// channel), sent when a node lost more doorbells than it could keep.
  case resync
  /// Not a message: the node is connected to Redis (again).
  case connected

  var payload: String {
    switch self {
    case .doorbell(let device, let cursor):
      "\(device)\t\(cursor)"
    case .presence(let user, let online, let lastSeen):
      "presence\t\(user)\t\(online ? 1 : 0)\t\(lastSeen)"
    case .typing(let node, let conversationID, let user, let typing, let audience):
      "typing\t\(node)\t\(conversationID)\t\(user)\t\(typing ? 1 : 0)\t"
        + audience.map(\.description).joined(separator: ",")
    case .resync:
      "resync"
    case .connected:
      ""
    }
  }

  /// Parses a message; nil for anything malformed (another version's, or not ours).
  init?(channel: String, payload: [UInt8]) {
    let fields = String(decoding: payload, as: UTF8.self).split(separator: "\t", omittingEmptySubsequences: false)
      .map(String.init)
    if channel.hasPrefix("doorbell:") {
      guard fields.count == 2, let device = try? DeviceAddress(parsing: fields[0]), let cursor = UInt64(fields[1])
      else { return nil }
      self = .doorbell(device, cursor: cursor)
      return
    }
    switch fields.first {
    case "presence":
      guard fields.count == 4, let user = try? UserAddress(parsing: fields[1]), let lastSeen = Int64(fields[3])
      else { return nil }
      self = .presence(user, online: fields[2] == "1", lastSeenMs: lastSeen)
    case "typing":
      guard fields.count == 6, let user = try? UserAddress(parsing: fields[3]) else { return nil }
      let audience = fields[5].split(separator: ",").compactMap { try? UserAddress(parsing: String($0)) }
      self = .typing(
        node: fields[1], conversationID: fields[2], user: user, typing: fields[4] == "1", audience: audience)
    case "resync":
      guard fields.count == 1 else { return nil }
      self = .resync
    default:
      return nil
    }
  }
}
