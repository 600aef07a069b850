internal import Foundation
internal import RelayCore
internal import RelayStoreSQLite
internal import SwiftProtobuf
internal import Wire

/// What a peer relay streams for `FetchAttachment` (any configured peer, or
/// whatever answers on its address before the fingerprint check fails):
/// decoded, and written into a copy in the embedded store as the recipient's
/// relay writes it — the size, expiry and offset checks, the files.
enum FetchedChunkTarget {
  static let target = FuzzTarget(
    name: "fetched-chunk", summary: "FetchAttachment chunks from a peer, checked and written to a copy",
    seeds: { try Self.seeds.map { try $0.serializedBytes() } }, run: Self.run)

  /// A few copies, so that inputs continue and complete them.
  static let ids = (0 ..< 4).map { try! AttachmentID(wire: "0123456789abcdef0123456789abcde\($0)@peer.test") }

  static func run(_ data: Data) {
    guard let chunk = try? Relay_V1_DownloadChunk(serializedBytes: data) else { return }
    let fuzz = FuzzStore.shared
    let id = Self.ids[Int(chunk.offset % UInt64(Self.ids.count))]
    _ = blocking {
      var copy = AttachmentCopy(
        id: id, existing: try await fuzz.store.attachment(id, nowMs: 1), maxBytes: 256, lifetimeMs: 1_000, nowMs: 1)
      let after = try await copy.write(chunk, to: fuzz.store)
      if after.isComplete {
        _ = try await fuzz.store.readAttachment(id, offset: 0, length: Int(after.size))
        _ = try await fuzz.store.sweepAttachments(nowMs: .max, limit: 100)
      }
    }
  }

  static var seeds: [Relay_V1_DownloadChunk] {
    [
      .with {
        $0.offset = 0
        $0.data = Data(repeating: 7, count: 32)
        $0.size = 64
        $0.expiresAtMs = 500
      },
      .with {
        $0.offset = 32
        $0.data = Data(repeating: 9, count: 32)
        $0.size = 64
        $0.expiresAtMs = 500
      },
      .with {
        $0.offset = 0
        $0.data = Data(repeating: 1, count: 10)
        $0.size = 1 << 40
        $0.expiresAtMs = .max
      },
    ]
  }
}
