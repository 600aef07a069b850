internal import Foundation
internal import RelayCore
internal import RelayStoreSQLite
internal import SwiftProtobuf
internal import Wire

/// Attachment chunks (any registered device can send them): decoded, the id
/// and offset checked as `UploadChunks` checks them, and written to an
/// upload of alice's in the embedded store; a completed one is read back
/// and swept.
enum UploadChunkTarget {
  static let target = FuzzTarget(
    name: "upload-chunk", summary: "UploadChunks chunks, checked and written to an embedded attachment",
    seeds: { try Self.seeds.map { try $0.serializedBytes() } }, run: Self.run)

  /// Small, so that inputs complete uploads too.
  static let size: Int64 = 64

  static func run(_ data: Data) {
    guard let chunk = try? Relay_V1_UploadChunk(serializedBytes: data),
      let id = try? AttachmentID(wire: chunk.attachmentID),
      let offset = try? Int64(wire: chunk.offset, field: "offset")
    else { return }
    let fuzz = FuzzStore.shared
    _ = blocking {
      // The relay writes only the caller's own uploads: the input's id is made alice's first.
      if try await fuzz.store.attachment(id, nowMs: 1) == nil {
        try await fuzz.store.createAttachment(
          AttachmentRecord(id: id, uploader: fuzz.alice, size: Self.size, committed: 0, expiresAtMs: 10),
          quotaBytes: .max, nowMs: 1)
      }
      let after = try await fuzz.store.appendAttachment(id, offset: offset, chunk.data)
      if after.isComplete {
        _ = try await fuzz.store.readAttachment(id, offset: 0, length: Int(Self.size))
        _ = try await fuzz.store.sweepAttachments(nowMs: 10, limit: 100)
      }
    }
  }

  static var seeds: [Relay_V1_UploadChunk] {
    let id = "0123456789abcdef0123456789abcdef@fuzz.test"
    return [
      .with {
        $0.attachmentID = id
        $0.offset = 0
        $0.data = Data(repeating: 7, count: 32)
      },
      .with {
        $0.attachmentID = "fedcba9876543210fedcba9876543210@peer.test"
        $0.offset = 0
        $0.data = Data(repeating: 1, count: 64)
      },
      .with {
        $0.attachmentID = id
        $0.offset = 32
        $0.data = Data(repeating: 9, count: 40)
      },
    ]
  }
}
