internal import ServiceLifecycle

/// Waits until the node is prepared (its schema migrated, its port bound).
///
/// Returns `false` when the wait ended because the node is shutting down, and
/// throws the reason the node will never be ready otherwise — the server's own
/// error, so that whichever background part ends the service group first, the
/// operator reads why (a part that merely returned would be reported as
/// "finished unexpectedly", hiding it).
func waitUntilReady(_ ready: @Sendable () async throws -> Void) async throws -> Bool {
  do {
    try await ready()
    return true
  } catch {
    if Task.isCancelled || Task.isShuttingDownGracefully { return false }
    throw error
  }
}
