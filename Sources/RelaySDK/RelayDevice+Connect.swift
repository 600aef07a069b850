internal import Foundation
internal import GRPCCore
internal import SwiftProtobuf
internal import Synchronization
internal import Wire

extension RelayDevice {
  /// Holds the device's session stream open for the duration of `body`:
  /// catches up from the stored cursor, then receives live; acknowledges what
  /// it stored; reconnects with backoff and jitter when the stream breaks.
  /// When `body` returns, what is queued (acknowledgements, receipts) is
  /// written and the stream closed, waiting at most `closeTimeout`.
  public func connect<T: Sendable>(_ body: (LiveSession) async throws -> T) async throws -> T {
    let (events, sink) = AsyncStream.makeStream(of: ClientEvent.self, bufferingPolicy: .bufferingNewest(10_000))
    let router = FrameRouter()
    return try await withThrowingTaskGroup(of: Void.self) { group in
      group.addTask { await self.keepConnected(router, sink) }
      defer {
        group.cancelAll()
        sink.finish()
      }
      let result = try await body(LiveSession(events: events, router: router))
      router.close()
      group.addTask { try await Task.sleep(for: self.configuration.closeTimeout) }
      _ = try? await group.next()
      return result
    }
  }

  private func keepConnected(_ router: FrameRouter, _ events: AsyncStream<ClientEvent>.Continuation) async {
    var backoff = self.configuration.backoff
    while !Task.isCancelled, !router.isClosed {
      events.yield(.connection(.connecting))
      let reason: String
      do {
        let caughtUp = CaughtUp()
        defer { if caughtUp.reached { backoff.reset() } }
        try await self.stream(router, events, caughtUp)
        reason = "the relay ended the session"
      } catch let error as RPCError {
        reason = "\(error.code): \(error.message)"
      } catch {
        reason = "\(error)"
      }
      if Task.isCancelled || router.isClosed { return }
      events.yield(.connection(.disconnected(reason: reason)))
      do { try await Task.sleep(for: backoff.next()) } catch { return }
    }
  }

  /// One `Connect` stream, until it ends.
  private func stream(
    _ router: FrameRouter, _ events: AsyncStream<ClientEvent>.Continuation, _ caughtUp: CaughtUp
  ) async throws {
    let (outbound, continuation) = AsyncStream.makeStream(of: Relay_V1_ClientFrame.self)
    router.attach(continuation)
    defer { router.detach() }
    let heartbeat = self.configuration.heartbeat
    try await self.relay.connect { writer in
      try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask {
          while true {
            try await Task.sleep(for: heartbeat)
            continuation.yield(.with { $0.heartbeat.clientTimeMs = Int64(Date().timeIntervalSince1970 * 1000) })
          }
        }
        for await frame in outbound { try await writer.write(frame) }
        group.cancelAll()
      }
    } onResponse: { response in
      defer { continuation.finish() }
      var acked: UInt64 = 0
      for try await frame in response.messages {
        switch frame.frame {
        case .sync(let batch):
          let usedPrekeys = try self.handle(batch.entries, events, continuation, &acked)
          if batch.caughtUp {
            events.yield(.connection(.connected))
            caughtUp.reached = true
          }
          if usedPrekeys || batch.caughtUp { _ = try? await self.replenishPrekeys() }
        case .envelope(let envelope):
          if try self.handle([.with { $0.envelope = envelope }], events, continuation, &acked) {
            _ = try? await self.replenishPrekeys()
          }
        case .receipt(let receipt):
          _ = try self.handle([.with { $0.receipt = receipt }], events, continuation, &acked)
        case .presence(let presence):
          events.yield(.presence(user: presence.user, online: presence.online, lastSeenMs: presence.lastSeenMs))
        case .typing(let typing):
          events.yield(.typing(conversationID: typing.conversationID, user: typing.user, typing: typing.typing))
        case .error(let error):
          events.yield(.relayError(code: Int(error.code), message: error.message))
        case .sent, .heartbeat, nil:
          break
        }
      }
    }
  }

  /// Processes entries in cursor order, acknowledges the last, then reports them; whether any used prekeys.
  private func handle(
    _ entries: [Relay_V1_MailboxEntry], _ events: AsyncStream<ClientEvent>.Continuation,
    _ outbound: AsyncStream<Relay_V1_ClientFrame>.Continuation, _ acked: inout UInt64
  ) throws(ClientError) -> Bool {
    var usedPrekeys = false
    var last: UInt64 = 0
    var produced = [ClientEvent]()
    for entry in entries {
      let processed = try self.process(entry)
      if let event = processed.event { produced.append(event) }
      usedPrekeys = usedPrekeys || processed.usedPrekeys
      last = max(last, entry.cursor)
    }
    // Stored, so acknowledged before anyone sees them: a session closed in
    // reaction to an event still sends the acknowledgement.
    if last > acked {
      acked = last
      outbound.yield(.with { $0.ack.cursor = last })
    }
    for event in produced { events.yield(event) }
    return usedPrekeys
  }
}

/// Whether a connection got as far as catching up (then the backoff starts over).
final class CaughtUp: Sendable {
  private let flag = Mutex(false)
  var reached: Bool {
    get { self.flag.withLock { $0 } }
    set { self.flag.withLock { $0 = newValue } }
  }
}
