public import Foundation

/// Where attachments' ciphertext lives (docs/attachments.md): the embedded
/// store keeps each in a file of the data directory, PostgreSQL in chunk rows
/// every node of a region reads. `RelayStore` refines it, so the contract
/// suite runs it on both.
///
/// A store never serves bytes past `committed`, and `committed` never counts
/// bytes that are not durable: an upload cut anywhere resumes from it.
public protocol AttachmentStore: Sendable {
  /// Records a new, empty attachment. With an uploader, refused
  /// `RESOURCE_EXHAUSTED` when the sizes of the user's unexpired attachments
  /// and this one would pass `quotaBytes`, before anything is written.
  func createAttachment(_ record: AttachmentRecord, quotaBytes: Int64, nowMs: Int64) async throws
  /// The attachment, unless it is unknown or expired.
  func attachment(_ id: AttachmentID, nowMs: Int64) async throws -> AttachmentRecord?
  /// Stores `data` at `offset`, which must be the attachment's `committed`
  /// (else `FAILED_PRECONDITION`, naming it) and must not run past its size
  /// (`OUT_OF_RANGE`); returns the record after it. Durable when it returns.
  func appendAttachment(_ id: AttachmentID, offset: Int64, _ data: Data) async throws -> AttachmentRecord
  /// Up to `length` bytes of a complete attachment from `offset` (< size).
  func readAttachment(_ id: AttachmentID, offset: Int64, length: Int) async throws -> Data
  /// Deletes up to `limit` attachments expired at `nowMs`, with their bytes; how many.
  func sweepAttachments(nowMs: Int64, limit: Int) async throws -> Int
}
