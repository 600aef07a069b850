package import GRPCCore
internal import RelayCore
package import Wire

extension FederationService {
  /// A peer fetching an attachment of this relay for one of its devices:
  /// only originals stored here (the id's domain is this relay's), in chunks
  /// of at most 1 MiB, whatever this relay's chunk limit for devices.
  package func fetchAttachment(
    request: Relay_V1_DownloadRequest, response: RPCWriter<Relay_V1_DownloadChunk>, context: ServerContext
  ) async throws {
    _ = try self.peer(of: context)
    let id = try AttachmentID(wire: request.attachmentID)
    guard id.domain == self.configuration.domain else {
      throw RelayError(
        .invalidArgument, "attachment_id must name an attachment of this relay (domain \(self.configuration.domain))")
    }
    let offset = try Int64(wire: request.offset, field: "offset")
    guard let record = try await self.store.attachment(id, nowMs: HybridLogicalClock.systemMilliseconds()) else {
      throw RelayError(.notFound, "no such attachment (or it expired)")
    }
    let chunkBytes = min(self.configuration.attachments.maxChunkBytes, Self.maxFetchChunkBytes)
    try await self.store.download(record, from: offset, chunkBytes: chunkBytes) { try await response.write($0) }
  }

  /// Below the 4 MiB a gRPC client takes in one message by default.
  static let maxFetchChunkBytes = 1 << 20
}
