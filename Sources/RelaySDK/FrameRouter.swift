internal import SwiftProtobuf
internal import Synchronization
internal import Wire

/// Where a live session's outgoing frames go: the current connection's
/// stream, or — while reconnecting — a short queue sent on the next one.
/// Presence subscriptions are remembered and made again on every connection.
final class FrameRouter: Sendable {
  private struct State {
    var current: AsyncStream<Relay_V1_ClientFrame>.Continuation?
    var pending: [Relay_V1_ClientFrame] = []
    var subscribed: Set<String> = []
    var closed = false
  }

  private let state = Mutex(State())
  static let pendingLimit = 100

  func send(_ frame: Relay_V1_ClientFrame) {
    self.state.withLock { state in
      if case .presence(let presence) = frame.frame {
        if presence.unsubscribe {
          state.subscribed.subtract(presence.users)
        } else {
          state.subscribed.formUnion(presence.users)
        }
      }
      if let current = state.current {
        current.yield(frame)
      } else if case .typing = frame.frame {
        // A typing indicator is stale by the time a connection is back.
      } else if state.pending.count < Self.pendingLimit {
        state.pending.append(frame)
      }
    }
  }

  func attach(_ continuation: AsyncStream<Relay_V1_ClientFrame>.Continuation) {
    self.state.withLock { state in
      guard !state.closed else { return continuation.finish() }
      state.current = continuation
      if !state.subscribed.isEmpty {
        continuation.yield(.with { $0.presence.users = state.subscribed.sorted() })
      }
      for frame in state.pending where !frame.isPresence { continuation.yield(frame) }
      state.pending.removeAll()
    }
  }

  func detach() { self.state.withLock { $0.current = nil } }

  /// Ends the session: the current stream is half-closed once what is queued
  /// on it is written, and no new connection is made.
  func close() {
    self.state.withLock { state in
      state.closed = true
      state.current?.finish()
    }
  }

  var isClosed: Bool { self.state.withLock { $0.closed } }
}

extension Relay_V1_ClientFrame {
  fileprivate var isPresence: Bool { if case .presence = self.frame { true } else { false } }
}
