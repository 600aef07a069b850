internal import Federation
internal import Foundation
internal import GRPCCore
internal import RelayCore
internal import SwiftProtobuf
internal import Wire

/// Attachments: ciphertext uploaded in chunks that resume, downloaded from
/// an offset (docs/attachments.md). Every limit is checked before a byte is stored.
extension ClientService {
  var attachmentLimits: RelayConfiguration.Attachments { self.configuration.attachments }

  func createUpload(request: Relay_V1_CreateUploadRequest, context: ServerContext) async throws -> Relay_V1_Upload {
    let caller = try await self.authenticator.device(of: context)
    guard request.size >= 1 else { throw RelayError(.invalidArgument, "size must be at least 1 byte") }
    guard request.size <= UInt64(self.attachmentLimits.maxBytes) else {
      throw RelayError(
        .resourceExhausted, "an attachment may be at most \(self.attachmentLimits.maxBytes) bytes on this relay")
    }
    let now = self.wallClock()
    let record = AttachmentRecord(
      id: .random(at: self.configuration.domain), uploader: caller.address,
      size: try Int64(wire: request.size, field: "size"), committed: 0,
      expiresAtMs: now + self.attachmentLimits.lifetime.milliseconds)
    try await self.store.createAttachment(record, quotaBytes: self.attachmentLimits.quotaBytes, nowMs: now)
    return self.upload(record)
  }

  /// The record as the client sees it, with this relay's chunk limit.
  private func upload(_ record: AttachmentRecord) -> Relay_V1_Upload {
    var upload = record.wire
    upload.maxChunkBytes = UInt32(self.attachmentLimits.maxChunkBytes)
    return upload
  }

  func getUpload(request: Relay_V1_GetUploadRequest, context: ServerContext) async throws -> Relay_V1_Upload {
    let caller = try await self.authenticator.device(of: context)
    return self.upload(try await self.ownUpload(try AttachmentID(wire: request.attachmentID), of: caller.address))
  }

  /// Each chunk is durable before the next is read; the answer is where the
  /// upload stands after the last one.
  func uploadChunks(
    request: RPCAsyncSequence<Relay_V1_UploadChunk, any Error>, context: ServerContext
  ) async throws -> Relay_V1_Upload {
    let caller = try await self.authenticator.device(of: context)
    var record: AttachmentRecord?
    for try await chunk in request {
      guard chunk.data.count <= self.attachmentLimits.maxChunkBytes else {
        throw RelayError(
          .resourceExhausted, "a chunk may be at most \(self.attachmentLimits.maxChunkBytes) bytes on this relay")
      }
      let id = try AttachmentID(wire: chunk.attachmentID)
      if let current = record {
        guard current.id == id else {
          throw RelayError(.invalidArgument, "every chunk of one stream must name the same attachment")
        }
      } else {
        record = try await self.ownUpload(id, of: caller.address)
      }
      record = try await self.store.appendAttachment(
        id, offset: try Int64(wire: chunk.offset, field: "offset"), chunk.data)
    }
    guard let record else { throw RelayError(.invalidArgument, "the stream carried no chunk") }
    return self.upload(record)
  }

  /// From `offset` to the end, in chunks of at most the chunk limit. An id
  /// of another relay is served from this relay's copy, fetched on first use.
  func download(
    request: Relay_V1_DownloadRequest, response: RPCWriter<Relay_V1_DownloadChunk>, context: ServerContext
  ) async throws {
    _ = try await self.authenticator.device(of: context)
    let id = try AttachmentID(wire: request.attachmentID)
    let offset = try Int64(wire: request.offset, field: "offset")
    let record: AttachmentRecord
    let found = try await self.store.attachment(id, nowMs: self.wallClock())
    if let found, found.isOriginal || found.isComplete {
      record = found
    } else if id.domain == self.configuration.domain && self.configuration.federation.regions.isEmpty {
      throw RelayError(.notFound, "no such attachment (or it expired)")
    } else {
      // Another relay's, or on a region one uploaded in another region of the domain.
      guard let fetcher = self.attachmentFetcher else {
        throw RelayError(.notFound, "no peer relay is configured for the domain \(id.domain)")
      }
      record = try await fetcher.copy(of: id, from: fetcher.sources(of: id, localDomain: self.configuration.domain))
    }
    try await self.store.download(record, from: offset, chunkBytes: self.attachmentLimits.maxChunkBytes) {
      try await response.write($0)
    }
  }

  /// The caller's own upload, unexpired.
  private func ownUpload(_ id: AttachmentID, of caller: DeviceAddress) async throws -> AttachmentRecord {
    guard let record = try await self.store.attachment(id, nowMs: self.wallClock()) else {
      throw RelayError(.notFound, "no such upload (or it expired)")
    }
    guard record.uploader == caller else {
      throw RelayError(.permissionDenied, "this upload belongs to another device")
    }
    return record
  }
}
