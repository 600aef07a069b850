internal import SwiftProtobuf
public import Wire

extension AttachmentStore {
  /// Streams a complete attachment from `offset` to its end in chunks of at
  /// most `chunkBytes`: what `Download` sends a device and `FetchAttachment`
  /// a peer relay.
  public func download(
    _ record: AttachmentRecord, from offset: Int64, chunkBytes: Int,
    write: (Relay_V1_DownloadChunk) async throws -> Void
  ) async throws {
    try record.checkRead(offset: offset)
    var offset = offset
    while offset < record.size {
      let data = try await self.readAttachment(record.id, offset: offset, length: chunkBytes)
      guard !data.isEmpty else { throw RelayError(.internal, "an attachment's bytes end before its size") }
      try await write(
        .with {
          $0.offset = UInt64(offset)
          $0.data = data
          $0.size = UInt64(record.size)
          $0.expiresAtMs = record.expiresAtMs
        })
      offset += Int64(data.count)
    }
  }
}
