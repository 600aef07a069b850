public import Wire

/// Writes what a peer relay streams for one of its attachments into this
/// relay's copy (docs/attachments.md, "Across relays"). Each chunk is a
/// peer's word and checked as such: the size within this relay's limit and
/// the same in every chunk, the expiry in the future and no later than this
/// relay's lifetime, and the bytes where the copy continues (the store's
/// append checks offset and length).
public struct AttachmentCopy: Sendable {
  public let id: AttachmentID
  /// The copy so far; nil until the first chunk creates it.
  public private(set) var record: AttachmentRecord?
  let maxBytes: Int64
  let lifetimeMs: Int64
  let nowMs: Int64

  /// Continues `existing` (a copy cut short) or starts a new one.
  public init(
    id: AttachmentID, existing: AttachmentRecord?, maxBytes: Int64, lifetimeMs: Int64, nowMs: Int64
  ) {
    self.id = id
    self.record = existing
    self.maxBytes = maxBytes
    self.lifetimeMs = lifetimeMs
    self.nowMs = nowMs
  }

  /// Where the fetch asks the peer to start.
  public var offset: Int64 { self.record?.committed ?? 0 }

  /// Stores one chunk of the peer's stream; the copy after it.
  @discardableResult
  public mutating func write(
    _ chunk: Relay_V1_DownloadChunk, to store: some AttachmentStore
  ) async throws -> AttachmentRecord {
    let size = try Int64(wire: chunk.size, field: "size")
    guard size <= self.maxBytes else {
      throw RelayError(
        .resourceExhausted, "the attachment (\(size) bytes) is larger than this relay keeps (\(self.maxBytes) bytes)")
    }
    if let record = self.record {
      guard record.size == size else {
        throw RelayError(.failedPrecondition, "the peer changed the attachment's size during the fetch")
      }
    } else {
      guard size >= 1 else { throw RelayError(.invalidArgument, "the peer sent an attachment of no bytes") }
      guard chunk.expiresAtMs > self.nowMs else { throw RelayError(.notFound, "no such attachment (or it expired)") }
      let record = AttachmentRecord(
        id: self.id, uploader: nil, size: size, committed: 0,
        expiresAtMs: min(chunk.expiresAtMs, self.nowMs + self.lifetimeMs))
      do {
        try await store.createAttachment(record, quotaBytes: .max, nowMs: self.nowMs)
        self.record = record
      } catch {
        // Another node of the region created it meanwhile (its append then
        // finds the offset taken), or an expired copy waits for the sweeper.
        if let made = try await store.attachment(self.id, nowMs: self.nowMs) {
          self.record = made
        } else {
          _ = try await store.sweepAttachments(nowMs: self.nowMs, limit: 100)
          try await store.createAttachment(record, quotaBytes: .max, nowMs: self.nowMs)
          self.record = record
        }
      }
    }
    let written = try await store.appendAttachment(
      self.id, offset: try Int64(wire: chunk.offset, field: "offset"), chunk.data)
    self.record = written
    return written
  }
}
