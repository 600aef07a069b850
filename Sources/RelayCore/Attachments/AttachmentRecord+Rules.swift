/// The checks both backends make before they write or read an attachment's
/// bytes: one function each, so the two cannot drift apart.
extension AttachmentRecord {
  /// A user may store `size` more bytes when `used` (their unexpired
  /// attachments) and `size` stay within `quota`.
  public static func checkQuota(used: Int64, adding size: Int64, quota: Int64) throws(RelayError) {
    guard size <= quota, used <= quota - size else {
      throw RelayError(
        .resourceExhausted,
        "this attachment (\(size) bytes) would take the user past their quota of \(quota) bytes (\(used) used)")
    }
  }

  /// A chunk of `count` bytes may go at `offset`: the next byte to store,
  /// within the size, and not empty.
  public func checkAppend(offset: Int64, count: Int) throws(RelayError) {
    guard offset == self.committed else {
      throw RelayError(
        .failedPrecondition, "the upload continues at byte \(self.committed), not \(offset): resume from there")
    }
    guard count > 0 else { throw RelayError(.invalidArgument, "a chunk must hold at least one byte") }
    guard Int64(count) <= self.size - offset else {
      throw RelayError(.outOfRange, "the chunk runs past the attachment's \(self.size) bytes")
    }
  }

  /// Bytes from `offset` may be read: every byte is stored, and `offset` is
  /// inside the attachment.
  public func checkRead(offset: Int64) throws(RelayError) {
    guard self.isComplete else {
      throw RelayError(.failedPrecondition, "the attachment's upload is not complete")
    }
    guard offset >= 0, offset < self.size else {
      throw RelayError(.outOfRange, "offset must be below the attachment's \(self.size) bytes")
    }
  }
}
