import Foundation
import SwiftProtobuf
import Testing
import Wire

@testable import RelayCore
@testable import RelayTestSupport

/// Attachments' bytes (docs/attachments.md), on each backend: chunks that
/// follow one another, reads of complete attachments only, quotas, expiry.
@Suite("Storage contract: attachments", .timeLimit(Patience.minutes(3)))
struct AttachmentStoreContractTests {
  static let phone = try! DeviceAddress(parsing: "alice@localhost/phone")

  static func record(size: Int64, uploader: DeviceAddress? = phone, expiresAtMs: Int64 = 1_000) -> AttachmentRecord {
    AttachmentRecord(
      id: .random(at: "localhost"), uploader: uploader, size: size, committed: 0, expiresAtMs: expiresAtMs)
  }

  static func bytes(_ count: Int, seed: UInt8 = 7) -> Data {
    Data((0 ..< count).map { UInt8(truncatingIfNeeded: $0 &* 31) &+ seed })
  }

  @Test(
    "chunks go in order to the size; the bytes read back from any offset, on every store of the database",
    arguments: StoreBackend.all)
  func chunksAndRanges(_ backend: StoreBackend) async throws {
    try await backend.withStores(2) { stores in
      let content = Self.bytes(10_000)
      let record = Self.record(size: Int64(content.count))
      try await stores[0].createAttachment(record, quotaBytes: 1 << 20, nowMs: 1)
      #expect(try await stores[1].attachment(record.id, nowMs: 1)?.committed == 0)
      // Not complete: nothing is served.
      let early = await #expect(throws: RelayError.self) {
        _ = try await stores[0].readAttachment(record.id, offset: 0, length: 10)
      }
      #expect(early?.code == .failedPrecondition)
      var offset = 0
      for size in [4_096, 4_096, 1_808] {
        let after = try await stores[offset == 0 ? 0 : 1].appendAttachment(
          record.id, offset: Int64(offset), content[offset ..< offset + size])
        offset += size
        #expect(after.committed == Int64(offset))
        #expect(after.isComplete == (offset == content.count))
      }
      for store in stores {
        #expect(try await store.readAttachment(record.id, offset: 0, length: 20_000) == content)
        // Across a chunk's boundary, and clipped at the end.
        #expect(try await store.readAttachment(record.id, offset: 4_000, length: 200) == content[4_000 ..< 4_200])
        #expect(try await store.readAttachment(record.id, offset: 9_990, length: 100) == content[9_990...])
      }
      let past = await #expect(throws: RelayError.self) {
        _ = try await stores[1].readAttachment(record.id, offset: 10_000, length: 1)
      }
      #expect(past?.code == .outOfRange)
    }
  }

  @Test(
    "a chunk at another offset, past the size, empty, or for no attachment is refused and writes nothing",
    arguments: StoreBackend.all)
  func refusedChunks(_ backend: StoreBackend) async throws {
    try await backend.withFixture { fixture in
      let store = fixture.store
      let record = Self.record(size: 100)
      try await store.createAttachment(record, quotaBytes: 1 << 20, nowMs: 1)
      _ = try await store.appendAttachment(record.id, offset: 0, Self.bytes(40))
      let cases: [(Int64, Data, RelayError.Code)] = [
        (0, Self.bytes(10), .failedPrecondition), (50, Self.bytes(10), .failedPrecondition),
        (40, Self.bytes(61), .outOfRange), (40, Data(), .invalidArgument),
      ]
      for (offset, data, code) in cases {
        let error = await #expect(throws: RelayError.self) {
          _ = try await store.appendAttachment(record.id, offset: offset, data)
        }
        #expect(error?.code == code)
      }
      let wrong = await #expect(throws: RelayError.self) {
        _ = try await store.appendAttachment(record.id, offset: 0, Self.bytes(1))
      }
      #expect(wrong?.message == "the upload continues at byte 40, not 0: resume from there")
      #expect(try await store.attachment(record.id, nowMs: 1)?.committed == 40)
      let unknown = await #expect(throws: RelayError.self) {
        _ = try await store.appendAttachment(.random(at: "localhost"), offset: 0, Self.bytes(1))
      }
      #expect(unknown?.code == .notFound)
      // The rest completes it, with the first 40 bytes as they were.
      _ = try await store.appendAttachment(record.id, offset: 40, Self.bytes(60, seed: 9))
      #expect(
        try await store.readAttachment(record.id, offset: 0, length: 100) == Self.bytes(40) + Self.bytes(60, seed: 9))
    }
  }

  @Test(
    "a user's unexpired attachments stay within the quota; expired ones and fetched copies do not count",
    arguments: StoreBackend.all)
  func quota(_ backend: StoreBackend) async throws {
    try await backend.withFixture { fixture in
      let store = fixture.store
      try await store.createAttachment(Self.record(size: 60, expiresAtMs: 500), quotaBytes: 100, nowMs: 1)
      let over = Self.record(size: 50)
      let error = await #expect(throws: RelayError.self) {
        try await store.createAttachment(over, quotaBytes: 100, nowMs: 1)
      }
      #expect(error?.code == .resourceExhausted)
      #expect(try await store.attachment(over.id, nowMs: 1) == nil)
      // Another user has a quota of their own; a copy fetched from a peer has none.
      let bob = try DeviceAddress(parsing: "bob@localhost/phone")
      try await store.createAttachment(Self.record(size: 90, uploader: bob), quotaBytes: 100, nowMs: 1)
      try await store.createAttachment(Self.record(size: 1_000, uploader: nil), quotaBytes: 100, nowMs: 1)
      // Past the first one's expiry, its 60 bytes are free again.
      try await store.createAttachment(over, quotaBytes: 100, nowMs: 500)
      let single = await #expect(throws: RelayError.self) {
        try await store.createAttachment(Self.record(size: 101), quotaBytes: 100, nowMs: 500)
      }
      #expect(single?.code == .resourceExhausted)
    }
  }

  @Test("an expired attachment is gone at once, and the sweep deletes it with its bytes", arguments: StoreBackend.all)
  func expiry(_ backend: StoreBackend) async throws {
    try await backend.withFixture { fixture in
      let store = fixture.store
      let old = Self.record(size: 3, expiresAtMs: 100)
      let fresh = Self.record(size: 3, expiresAtMs: 10_000)
      for record in [old, fresh] {
        try await store.createAttachment(record, quotaBytes: 1 << 20, nowMs: 1)
        _ = try await store.appendAttachment(record.id, offset: 0, Data([1, 2, 3]))
      }
      #expect(try await store.attachment(old.id, nowMs: 99) != nil)
      #expect(try await store.attachment(old.id, nowMs: 100) == nil)
      #expect(try await store.sweepAttachments(nowMs: 100, limit: 10) == 1)
      #expect(try await store.sweepAttachments(nowMs: 100, limit: 10) == 0)
      let gone = await #expect(throws: RelayError.self) {
        _ = try await store.readAttachment(old.id, offset: 0, length: 3)
      }
      #expect(gone?.code == .notFound)
      #expect(try await store.readAttachment(fresh.id, offset: 0, length: 3) == Data([1, 2, 3]))
    }
  }

  @Test("two writers of one chunk at once: one is stored, the other refused", arguments: StoreBackend.all)
  func concurrentWriters(_ backend: StoreBackend) async throws {
    try await backend.withStores(2) { stores in
      let record = Self.record(size: 200_000)
      try await stores[0].createAttachment(record, quotaBytes: 1 << 20, nowMs: 1)
      let results = await withTaskGroup(of: Bool.self) { group in
        for (index, store) in stores.enumerated() {
          group.addTask {
            (try? await store.appendAttachment(record.id, offset: 0, Self.bytes(100_000, seed: UInt8(index)))) != nil
          }
        }
        return await group.reduce(into: [Bool]()) { $0.append($1) }
      }
      #expect(results.filter { $0 }.count == 1)
      let stored = try await stores[0].attachment(record.id, nowMs: 1)
      #expect(stored?.committed == 100_000)
      _ = try await stores[1].appendAttachment(record.id, offset: 100_000, Self.bytes(100_000, seed: 5))
      let first = try await stores[0].readAttachment(record.id, offset: 0, length: 100_000)
      #expect(first == Self.bytes(100_000, seed: 0) || first == Self.bytes(100_000, seed: 1))
    }
  }

  static func chunk(
    _ content: Data, from offset: Int, count: Int, size: Int? = nil, expiresAtMs: Int64 = 5_000
  ) -> Relay_V1_DownloadChunk {
    .with {
      $0.offset = UInt64(offset)
      $0.data = content[offset ..< offset + count]
      $0.size = UInt64(size ?? content.count)
      $0.expiresAtMs = expiresAtMs
    }
  }

  @Test(
    "a peer's stream becomes a copy: size and expiry checked, resumed where it stopped, an expired copy replaced",
    arguments: StoreBackend.all)
  func fetchedCopy(_ backend: StoreBackend) async throws {
    try await backend.withFixture { fixture in
      let store = fixture.store
      let content = Self.bytes(300)
      let id = AttachmentID.random(at: "peer.test")
      var copy = AttachmentCopy(id: id, existing: nil, maxBytes: 1_000, lifetimeMs: 2_000, nowMs: 100)
      try await copy.write(Self.chunk(content, from: 0, count: 100), to: store)
      // No uploader (no quota counts it), and kept no longer than this relay's lifetime.
      #expect(copy.record?.uploader == nil && copy.record?.expiresAtMs == 2_100 && copy.record?.committed == 100)
      for (chunk, code) in [
        (Self.chunk(content, from: 100, count: 100, size: 301), RelayError.Code.failedPrecondition),
        (Self.chunk(content, from: 150, count: 100), .failedPrecondition),
      ] {
        let error = await #expect(throws: RelayError.self) { try await copy.write(chunk, to: store) }
        #expect(error?.code == code)
      }
      // The fetch was cut: the next one continues what is stored.
      var resumed = AttachmentCopy(
        id: id, existing: try await store.attachment(id, nowMs: 100), maxBytes: 1_000, lifetimeMs: 2_000, nowMs: 100)
      #expect(resumed.offset == 100)
      let done = try await resumed.write(Self.chunk(content, from: 100, count: 200), to: store)
      #expect(done.isComplete)
      #expect(try await store.readAttachment(id, offset: 0, length: 1_000) == content)

      // Past this relay's size limit, or expired at the peer: refused before anything is stored.
      for (chunk, code) in [
        (Self.chunk(content, from: 0, count: 10, size: 1_001), RelayError.Code.resourceExhausted),
        (Self.chunk(content, from: 0, count: 10, expiresAtMs: 100), .notFound),
      ] {
        var other = AttachmentCopy(
          id: .random(at: "peer.test"), existing: nil, maxBytes: 1_000, lifetimeMs: 2_000, nowMs: 100)
        let error = await #expect(throws: RelayError.self) { try await other.write(chunk, to: store) }
        #expect(error?.code == code)
        #expect(try await store.attachment(other.id, nowMs: 100) == nil)
      }

      // This relay's copy expired (its lifetime is shorter than the peer's) before the sweep came: fetched anew.
      var again = AttachmentCopy(id: id, existing: nil, maxBytes: 1_000, lifetimeMs: 2_000, nowMs: 2_200)
      try await again.write(Self.chunk(content, from: 0, count: 300), to: store)
      #expect(again.record?.expiresAtMs == 4_200 && again.record?.isComplete == true)
      #expect(try await store.readAttachment(id, offset: 0, length: 1_000) == content)
    }
  }
}
