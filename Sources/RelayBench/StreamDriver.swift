import GRPCCore
import GRPCNIOTransportHTTP2
internal import RelayCore
import SwiftProtobuf
import Synchronization
import Wire

typealias BenchClient = Relay_V1_Client.Client<HTTP2ClientTransport.Posix>

/// Drives one `Connect` stream: frames yielded to `outbound` are written;
/// every server frame goes to `onFrame` until it answers false.
func driveSession(
  _ client: BenchClient,
  outbound: AsyncStream<Relay_V1_ClientFrame>,
  finish: AsyncStream<Relay_V1_ClientFrame>.Continuation,
  onFrame: @escaping @Sendable (Relay_V1_ServerFrame) -> Bool
) async throws {
  try await client.connect { writer in
    for await frame in outbound { try await writer.write(frame) }
  } onResponse: { response in
    defer { finish.finish() }
    for try await frame in response.messages where !onFrame(frame) { break }
  }
}

/// Counts received envelopes, records their latency and acks as it goes.
final class Receiver: Sendable {
  private let state = Mutex<(received: Int, lastCursor: UInt64)>((0, 0))
  let expected: Int
  let latencies: LatencyRecorder
  let expectedInterval: UInt64?
  let ack: AsyncStream<Relay_V1_ClientFrame>.Continuation
  let acks: AckPolicy

  init(
    expected: Int, latencies: LatencyRecorder, expectedInterval: UInt64?,
    ack: AsyncStream<Relay_V1_ClientFrame>.Continuation, acks: AckPolicy = .batched
  ) {
    self.expected = expected
    self.latencies = latencies
    self.expectedInterval = expectedInterval
    self.ack = ack
    self.acks = acks
  }

  /// Handles one server frame; false once everything expected has arrived.
  func handle(_ frame: Relay_V1_ServerFrame) -> Bool {
    var envelopes = [Relay_V1_Envelope]()
    switch frame.frame {
    case .envelope(let envelope): envelopes = [envelope]
    case .sync(let batch):
      envelopes = batch.entries.compactMap { if case .envelope(let e) = $0.entry { e } else { nil } }
    default: return true
    }
    let now = monotonicNanoseconds()
    for envelope in envelopes {
      self.latencies.record(
        nanoseconds: now &- sentAt(envelope.ciphertext), expectedIntervalNanoseconds: self.expectedInterval)
    }
    let (received, ackNow, cursor) = self.state.withLock { state in
      state.received += envelopes.count
      let cursor = envelopes.last?.cursor ?? state.lastCursor
      let ackNow = self.acks.receiverAcks(
        before: state.received - envelopes.count, after: state.received, expected: self.expected)
      state.lastCursor = cursor
      return (state.received, ackNow, cursor)
    }
    if ackNow && cursor > 0 { self.ack.yield(.with { $0.ack.cursor = cursor }) }
    return received < self.expected
  }

  var received: Int { self.state.withLock { $0.received } }
}

/// A shared count, for closures that run on several tasks.
final class Counter: Sendable {
  private let value: Mutex<Int>

  init(_ initial: Int = 0) { self.value = Mutex(initial) }

  /// Adds one and returns the new value.
  func increment() -> Int {
    self.value.withLock {
      $0 += 1
      return $0
    }
  }

  /// Adds one unless that would pass `limit`; whether it did.
  func increment(upTo limit: Int) -> Bool {
    self.value.withLock { value in
      guard value < limit else { return false }
      value += 1
      return true
    }
  }
}

/// Paces arrivals: at most `limit` of them in progress at a time. Whoever
/// completes an arrival calls `arrived`; the loop that starts them calls
/// ``admit(_:)`` before each and ``waitForAll(_:)`` after the last.
struct ArrivalWindow {
  let limit: Int
  let arrived: AsyncStream<Void>.Continuation
  private var events: AsyncStream<Void>.Iterator
  private var count = 0

  init(limit: Int) {
    self.limit = limit
    let (stream, continuation) = AsyncStream.makeStream(of: Void.self)
    self.arrived = continuation
    self.events = stream.makeAsyncIterator()
  }

  /// Waits until arrival number `index` (from 0) may start.
  mutating func admit(_ index: Int) async {
    while index - self.count >= self.limit, await self.events.next() != nil { self.count += 1 }
  }

  /// Waits until `total` arrivals have completed.
  mutating func waitForAll(_ total: Int) async {
    while self.count < total, await self.events.next() != nil { self.count += 1 }
  }
}
