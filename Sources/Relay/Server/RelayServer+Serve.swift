internal import GRPCCore
internal import NIOCore
internal import NIOPosix

extension RelayServer {
  /// Serves until the server stops; a cancellation ends it with a graceful
  /// shutdown first.
  ///
  /// The transport reads accepted connections from a queue (a server
  /// `NIOAsyncChannel`). A cancelled serving task stops reading it, and a
  /// connection left in the queue traps when it is freed ("Deinited
  /// NIOAsyncWriter without calling finish()", apple/swift-nio#2637, whose
  /// maintainers advise a graceful shutdown instead of a cancellation). A
  /// client connecting while the relay is cancelled — a test's time limit,
  /// a failed service, the end of a shutdown's bound — was enough to crash it.
  ///
  /// So `serve()` runs in a task of its own that a cancellation does not
  /// reach, and is always awaited here: a cancellation begins the graceful
  /// shutdown (the listener closes, the queue drains into handlers, streams
  /// end with `UNAVAILABLE`, connections close after their grace period) and
  /// cancels that task only after ``cancellationGrace``, when the listener is
  /// long closed and only calls are left to cancel.
  func serveUncancelled() async throws {
    let server = self.server
    let serving = Task { try await server.serve() }
    let grace = TimeAmount(self.cancellationGrace)
    try await withTaskCancellationHandler {
      try await serving.value
    } onCancel: {
      self.beginShutdown()
      MultiThreadedEventLoopGroup.singleton.any().scheduleTask(in: grace) { serving.cancel() }
    }
  }
}
