internal import Logging
internal import RelayCore
internal import ServiceLifecycle

/// Deletes expired attachments, with their bytes, every `interval` (once the
/// node is prepared). Expired ones are refused at once; this frees their space.
struct AttachmentSweeper: Service {
  let store: any AttachmentStore
  let interval: Duration
  let wallClock: @Sendable () -> Int64
  /// Returns once the store may be read (the node is prepared); throws if it never will be.
  let ready: @Sendable () async throws -> Void
  let logger: Logger
  /// Deleted in one transaction at most.
  static let batch = 1_000

  func run() async throws {
    try await cancelWhenGracefulShutdown {
      guard try await waitUntilReady(self.ready) else { return }
      while !Task.isCancelled {
        await self.sweep()
        try? await Task.sleep(for: self.interval)
      }
    }
  }

  /// Deletes every attachment expired now, a batch at a time.
  func sweep() async {
    do {
      var deleted = 0
      while !Task.isCancelled {
        let count = try await self.store.sweepAttachments(nowMs: self.wallClock(), limit: Self.batch)
        deleted += count
        if count < Self.batch { break }
      }
      if deleted > 0 { self.logger.info("expired attachments deleted", metadata: ["count": "\(deleted)"]) }
    } catch {
      self.logger.warning("cannot sweep expired attachments", metadata: ["error": "\(error)"])
    }
  }
}
