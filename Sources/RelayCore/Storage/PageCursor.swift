package import Wire

/// The page tokens the stores issue, as opaque strings to clients: the sort
/// key of the last item returned.
package enum PageCursor {
  /// Conversations by recent activity: `last_activity_ms:id`.
  package struct Activity: Sendable, Hashable {
    package var lastActivityMs: Int64
    package var id: String

    package init(lastActivityMs: Int64, id: String) {
      self.lastActivityMs = lastActivityMs
      self.id = id
    }

    package init(token: String) throws(RelayError) {
      let parts = token.split(separator: ":", maxSplits: 1)
      guard parts.count == 2, let ms = Int64(parts[0]) else { throw PageCursor.foreign }
      self.init(lastActivityMs: ms, id: String(parts[1]))
    }

    package var token: String { "\(self.lastActivityMs):\(self.id)" }
  }

  /// History in display order: `hlc:origin_seq:origin_relay`.
  package struct Display: Sendable, Hashable {
    package var hlc: UInt64
    package var originSeq: UInt64
    package var originRelay: String

    package init(_ envelope: Relay_V1_Envelope) {
      self.hlc = envelope.hlc
      self.originSeq = envelope.originSeq
      self.originRelay = envelope.originRelay
    }

    package init(token: String) throws(RelayError) {
      let parts = token.split(separator: ":", maxSplits: 2)
      guard parts.count == 3, let hlc = UInt64(parts[0]), let originSeq = UInt64(parts[1]),
        originSeq <= UInt64(Int64.max)
      else { throw PageCursor.foreign }
      self.hlc = hlc
      self.originSeq = originSeq
      self.originRelay = String(parts[2])
    }

    package var token: String { "\(self.hlc):\(self.originSeq):\(self.originRelay)" }

    /// `origin_seq` as both backends store it, through the one checked conversion.
    package func storedOriginSeq() throws(RelayError) -> Int64 {
      try Int64(wire: self.originSeq, field: "page_token")
    }
  }

  package static let foreign = RelayError(.invalidArgument, "page_token is not one this relay issued")

  /// The page of `size` from `rows` fetched with `LIMIT size + 1`, and the next token.
  package static func page<Item>(_ rows: [Item], size: Int, token: (Item) -> String) -> Page<Item> {
    guard rows.count > size else { return Page(items: rows, nextToken: "") }
    let items = Array(rows.prefix(size))
    return Page(items: items, nextToken: items.last.map(token) ?? "")
  }
}
