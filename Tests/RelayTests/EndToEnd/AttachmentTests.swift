import Foundation
import GRPCCore
import SwiftProtobuf
import Testing
import Wire

@testable import Relay
@testable import RelayCore
@testable import RelayTestSupport

/// Attachments through a real relay (docs/attachments.md): chunked uploads
/// that resume, downloads from an offset, limits refused before anything is
/// stored, expiry.
@Suite("Attachments: upload in chunks, resume, download from an offset", .timeLimit(Patience.minutes(5)))
struct AttachmentTests {
  static let mebibyte = 1 << 20

  /// Bytes that differ from position to position (so a chunk out of place shows).
  static func content(_ count: Int, seed: UInt32 = 1) -> Data {
    var state = seed
    var bytes = [UInt8](repeating: 0, count: count)
    for index in bytes.indices {
      state = state &* 1_664_525 &+ 1_013_904_223
      bytes[index] = UInt8(truncatingIfNeeded: state >> 24)
    }
    return Data(bytes)
  }

  @Test("a 20 MiB attachment goes up in 1 MiB chunks and comes down intact", arguments: Backend.allCases)
  func twentyMebibytes(backend: Backend) async throws {
    try await withPair(on: backend) { relay, alice, a, bob, b, chat in
      let content = Self.content(20 * Self.mebibyte)
      let upload = try await Self.upload(content, with: a)
      #expect(upload.complete && upload.committed == UInt64(content.count))
      // Any registered device of the relay may download it by its id.
      #expect(try await Self.download(upload.attachmentID, with: b) == content)
    }
  }

  @Test("an upload cut after two chunks resumes from the committed offset; a chunk elsewhere is refused")
  func resumed() async throws {
    try await withPair { relay, alice, a, bob, b, chat in
      let content = Self.content(5 * Self.mebibyte + 123)
      let created = try await a.createUpload(.with { $0.size = UInt64(content.count) })
      let id = created.attachmentID
      // The client goes away after its second chunk is stored.
      struct CutOff: Error {}
      await #expect(throws: (any Error).self) {
        _ = try await a.uploadChunks { writer in
          for index in 0 ..< 2 {
            try await writer.write(Self.chunk(id, content, at: index * Self.mebibyte, Self.mebibyte))
            try await Patience.waitUntil("chunk \(index) to be stored") {
              try await a.getUpload(.with { $0.attachmentID = id }).committed == UInt64((index + 1) * Self.mebibyte)
            }
          }
          throw CutOff()
        }
      }
      let standing = try await a.getUpload(.with { $0.attachmentID = id })
      #expect(standing.committed == UInt64(2 * Self.mebibyte) && !standing.complete)
      // Starting again from 0 is refused, naming where to resume.
      do {
        _ = try await a.uploadChunks { writer in try await writer.write(Self.chunk(id, content, at: 0, 10)) }
        Issue.record("a chunk at offset 0 was accepted after 2 MiB")
      } catch let error as RPCError {
        #expect(error.code == .failedPrecondition)
        #expect(error.message == "the upload continues at byte \(2 * Self.mebibyte), not 0: resume from there")
      }
      let finished = try await Self.upload(content, with: a, resuming: standing)
      #expect(finished.complete)
      #expect(try await Self.download(id, with: b) == content)
    }
  }

  @Test("a download from an offset gets the rest; at or past the end it is OUT_OF_RANGE")
  func fromAnOffset() async throws {
    try await withPair { relay, alice, a, bob, b, chat in
      let content = Self.content(3 * Self.mebibyte + 17)
      let upload = try await Self.upload(content, with: a)
      for offset in [1, Self.mebibyte, 3_000_000, content.count - 1] {
        #expect(try await Self.download(upload.attachmentID, with: b, from: offset) == content[offset...])
      }
      #expect(
        await statusCode { _ = try await Self.download(upload.attachmentID, with: b, from: content.count) }
          == .outOfRange)
    }
  }

  @Test("the size limit, the user's quota and the chunk limit are RESOURCE_EXHAUSTED before anything is stored")
  func limits() async throws {
    try await withPair { config in
      config.attachments.maxBytes = Int64(Self.mebibyte)
      config.attachments.quotaBytes = Int64(Self.mebibyte + Self.mebibyte / 2)
      config.attachments.maxChunkBytes = 64 << 10
    } _: { relay, alice, a, bob, b, chat in
      #expect(
        await statusCode { _ = try await a.createUpload(.with { $0.size = UInt64(Self.mebibyte + 1) }) }
          == .resourceExhausted)
      let first = try await a.createUpload(.with { $0.size = UInt64(Self.mebibyte) })
      // The quota counts what is reserved, uploaded or not.
      #expect(
        await statusCode { _ = try await a.createUpload(.with { $0.size = UInt64(Self.mebibyte) }) }
          == .resourceExhausted)
      #expect(try await b.createUpload(.with { $0.size = UInt64(Self.mebibyte) }).committed == 0)
      let big = Self.content(100 << 10)
      #expect(
        await statusCode {
          _ = try await a.uploadChunks { try await $0.write(Self.chunk(first.attachmentID, big, at: 0, big.count)) }
        } == .resourceExhausted)
      #expect(try await a.getUpload(.with { $0.attachmentID = first.attachmentID }).committed == 0)
      #expect(await statusCode { _ = try await a.createUpload(.with { $0.size = 0 }) } == .invalidArgument)
    }
  }

  @Test("unknown, malformed, another device's and incomplete ids each get their status")
  func refusedIDs() async throws {
    try await withPair { relay, alice, a, bob, b, chat in
      let unknown = AttachmentID.random(at: "localhost").description
      #expect(await statusCode { _ = try await Self.download(unknown, with: b) } == .notFound)
      // Of a domain this relay does not peer with: there is nowhere to fetch it from.
      let foreign = AttachmentID.random(at: "elsewhere.test").description
      #expect(await statusCode { _ = try await Self.download(foreign, with: b) } == .notFound)
      #expect(await statusCode { _ = try await a.getUpload(.with { $0.attachmentID = unknown }) } == .notFound)
      for malformed in ["", "abc@localhost", String(repeating: "A", count: 32) + "@localhost", unknown + "\u{0}"] {
        #expect(await statusCode { _ = try await Self.download(malformed, with: b) } == .invalidArgument)
      }
      let content = Self.content(1000)
      let pending = try await a.createUpload(.with { $0.size = 2000 })
      #expect(
        await statusCode { _ = try await b.getUpload(.with { $0.attachmentID = pending.attachmentID }) }
          == .permissionDenied)
      #expect(
        await statusCode {
          _ = try await b.uploadChunks { try await $0.write(Self.chunk(pending.attachmentID, content, at: 0, 1000)) }
        } == .permissionDenied)
      #expect(await statusCode { _ = try await Self.download(pending.attachmentID, with: b) } == .failedPrecondition)
    }
  }

  /// The lifetime leaves the upload ample time on a loaded machine (the
  /// expiry is the relay's wall clock); the test then waits for the expiry.
  @Test("an expired attachment is NOT_FOUND, and the sweep deletes its file")
  func expired() async throws {
    try await withPair { config in
      config.attachments.lifetime = .seconds(10) * Patience.scale
      config.attachments.sweepInterval = .milliseconds(100)
    } _: { relay, alice, a, bob, b, chat in
      let content = Self.content(1000)
      let done = try await Self.upload(content, with: a)
      #expect(try await Self.download(done.attachmentID, with: b) == content)
      let folder = relay.dataDirectory + "/attachments"
      let files = { FileManager.default.enumerator(atPath: folder)?.allObjects as? [String] ?? [] }
      #expect(files().contains { $0.hasSuffix(String(done.attachmentID.prefix(32))) })
      // Past its lifetime it is gone at once, and the sweep deletes its file.
      try await Patience.waitUntil("the attachment to expire", timeout: .seconds(60)) {
        await statusCode { _ = try await Self.download(done.attachmentID, with: b) } == .notFound
      }
      try await Patience.waitUntil("the sweep to delete the file") {
        // The folder of the domain stays; the attachment's file goes.
        files().allSatisfy { !$0.contains("/") }
      }
    }
  }

  // MARK: - Helpers

  static func chunk(_ id: String, _ content: Data, at offset: Int, _ count: Int) -> Relay_V1_UploadChunk {
    .with {
      $0.attachmentID = id
      $0.offset = UInt64(offset)
      $0.data = content[offset ..< min(offset + count, content.count)]
    }
  }

  /// Uploads `content` (creating the upload, unless resuming one) in 1 MiB chunks.
  static func upload(
    _ content: Data, with client: RelayClient, resuming: Relay_V1_Upload? = nil
  ) async throws -> Relay_V1_Upload {
    var upload: Relay_V1_Upload
    if let resuming {
      upload = resuming
    } else {
      upload = try await client.createUpload(.with { $0.size = UInt64(content.count) })
    }
    let id = upload.attachmentID
    let start = Int(upload.committed)
    return try await client.uploadChunks { writer in
      var offset = start
      while offset < content.count {
        try await writer.write(Self.chunk(id, content, at: offset, Self.mebibyte))
        offset += Self.mebibyte
      }
    }
  }

  /// The attachment's bytes from `offset` to its end, each chunk where it says it is.
  static func download(_ id: String, with client: RelayClient, from offset: Int = 0) async throws -> Data {
    try await client.download(
      .with {
        $0.attachmentID = id
        $0.offset = UInt64(offset)
      }
    ) { response in
      var data = Data()
      for try await chunk in response.messages {
        guard chunk.offset == UInt64(offset + data.count) else { throw RPCError(code: .dataLoss, message: "gap") }
        data.append(chunk.data)
      }
      return data
    }
  }
}
