internal import GRPCCore
internal import RelayCore
internal import Synchronization
internal import Wire

/// The standard `grpc.health.v1.Health` service. The relay (`""`) and
/// `relay.v1.Client` are SERVING while the relay runs; watchers see
/// NOT_SERVING when it begins to shut down, and their streams then end.
final class HealthService: Grpc_Health_V1_Health.SimpleServiceProtocol, Sendable {
  private struct State {
    var serving = true
    var shuttingDown = false
    var watchers: [Int: AsyncStream<Bool>.Continuation] = [:]
    var nextID = 0
  }
  private let state = Mutex(State())
  static let services: Set<String> = ["", "relay.v1.Client"]

  func check(
    request: Grpc_Health_V1_HealthCheckRequest, context: ServerContext
  ) async throws -> Grpc_Health_V1_HealthCheckResponse {
    guard Self.services.contains(request.service) else {
      throw RPCError(code: .notFound, message: "unknown service name")
    }
    return Self.response(self.state.withLock { $0.serving } ? .serving : .notServing)
  }

  func watch(
    request: Grpc_Health_V1_HealthCheckRequest,
    response: RPCWriter<Grpc_Health_V1_HealthCheckResponse>,
    context: ServerContext
  ) async throws {
    guard Self.services.contains(request.service) else {
      try await response.write(Self.response(.serviceUnknown))
      return
    }
    let (changes, continuation) = AsyncStream.makeStream(of: Bool.self)
    let id = self.state.withLock { state in
      defer { state.nextID += 1 }
      state.watchers[state.nextID] = continuation
      continuation.yield(state.serving)
      if state.shuttingDown { continuation.finish() }
      return state.nextID
    }
    defer { _ = self.state.withLock { $0.watchers.removeValue(forKey: id) } }
    // A watcher that goes away (closes its connection, resets the stream) ends
    // the watch: gRPC cancels the call, not the handler's task.
    try await withRPCCancellationHandler {
      for await serving in changes {
        try await response.write(Self.response(serving ? .serving : .notServing))
      }
    } onCancelRPC: {
      continuation.finish()
    }
  }

  /// Reports NOT_SERVING to every watcher and ends their streams.
  /// On a region node: NOT_SERVING while PostgreSQL or Redis is out of
  /// reach, SERVING again when both answer (unless shutting down).
  func setDependenciesReachable(_ reachable: Bool) {
    let watchers = self.state.withLock { state -> [AsyncStream<Bool>.Continuation] in
      let serving = reachable && !state.shuttingDown
      guard serving != state.serving else { return [] }
      state.serving = serving
      return Array(state.watchers.values)
    }
    for watcher in watchers { watcher.yield(reachable) }
  }

  var isServing: Bool { self.state.withLock { $0.serving } }

  func beginShutdown() {
    let watchers = self.state.withLock { state in
      state.serving = false
      state.shuttingDown = true
      return Array(state.watchers.values)
    }
    for watcher in watchers {
      watcher.yield(false)
      watcher.finish()
    }
  }

  private static func response(
    _ status: Grpc_Health_V1_HealthCheckResponse.ServingStatus
  ) -> Grpc_Health_V1_HealthCheckResponse {
    var response = Grpc_Health_V1_HealthCheckResponse()
    response.status = status
    return response
  }
}
