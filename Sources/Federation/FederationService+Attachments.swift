package import GRPCCore
internal import RelayCore
package import Wire

extension FederationService {
  /// A peer fetching an attachment of this relay for one of its devices:
  /// only originals stored here (the id's domain is this relay's), in chunks
  /// of at most 1 MiB, whatever this relay's chunk limit for devices. The
  /// gateway region (docs/regions.md) also serves another domain what was
  /// uploaded in another region, and a region what another domain stores,
  /// each from its own copy.
  package func fetchAttachment(
    request: Relay_V1_DownloadRequest, response: RPCWriter<Relay_V1_DownloadChunk>, context: ServerContext
  ) async throws {
    let peer = try self.peer(of: context)
    let id = try AttachmentID(wire: request.attachmentID)
    let offset = try Int64(wire: request.offset, field: "offset")
    let forwarding = GatewayForwarding(rules: self.rules, from: peer.relay)
    let record: AttachmentRecord
    if id.domain == self.configuration.domain {
      let found = try await self.store.attachment(id, nowMs: HybridLogicalClock.systemMilliseconds())
      if let found, found.isOriginal {
        record = found
      } else if let forwarding, let fetcher = self.attachmentFetcher,
        case let regions = self.federator.siblings.filter(forwarding.crosses(to:)), !regions.isEmpty
      {
        // Another domain asking the gateway: a region of the domain may hold it.
        record = try await fetcher.copy(of: id, from: regions)
      } else {
        throw RelayError(.notFound, "no such attachment (or it expired)")
      }
    } else if let forwarding, let fetcher = self.attachmentFetcher, forwarding.crosses(to: id.domain) {
      // A region asking the gateway for another domain's.
      record = try await fetcher.copy(of: id, from: [id.domain])
    } else {
      throw RelayError(
        .invalidArgument, "attachment_id must name an attachment of this relay (domain \(self.configuration.domain))")
    }
    let chunkBytes = min(self.configuration.attachments.maxChunkBytes, Self.maxFetchChunkBytes)
    try await self.store.download(record, from: offset, chunkBytes: chunkBytes) { try await response.write($0) }
  }

  /// Below the 4 MiB a gRPC client takes in one message by default.
  static let maxFetchChunkBytes = 1 << 20
}
