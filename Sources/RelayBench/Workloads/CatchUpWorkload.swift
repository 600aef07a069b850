import Foundation
internal import RelayCore
import SwiftProtobuf
import Synchronization
import Wire

/// A device offline while `messages` queue for it, then reconnecting: how fast
/// its mailbox drains (sync pages, acked as they come).
struct CatchUpWorkload: Sendable {
  var messages: Int
  var size: Int
  var ids = MessageIDs.timeOrdered

  func run(_ target: BenchTarget, tag: String) async throws -> (perSecond: Double, cpuMicrosPerMessage: Double) {
    let sender = try BenchDevice(user: "cs-\(tag)@localhost")
    let receiver = try BenchDevice(user: "cr-\(tag)@localhost")
    let workload = self
    return try await withClients([sender, receiver], target) { clients in
      _ = try await clients[0].register(sender.registerRequest())
      _ = try await clients[1].register(receiver.registerRequest())
      let conversation = try await clients[0].createConversation(
        .with {
          $0.kind = .direct
          $0.members = [receiver.user]
        })
      progress("catch-up: queueing \(workload.messages) messages")
      try await PairWorkload.fill(
        client: clients[0], conversation: conversation.id, to: receiver.address, count: workload.messages,
        size: workload.size, ids: workload.ids)
      let (acks, continuation) = AsyncStream.makeStream(of: Relay_V1_ClientFrame.self)
      let draining = Receiver(
        expected: workload.messages, latencies: LatencyRecorder(), expectedInterval: nil, ack: continuation)
      let meter = PhaseMeter(pid: target.pid)
      try await driveSession(clients[1], outbound: acks, finish: continuation, onFrame: draining.handle)
      return meter.finish(count: workload.messages)
    }
  }
}

extension PairWorkload {
  /// Sends `count` messages on one stream with a window of 256, until all are committed.
  static func fill(
    client: BenchClient, conversation: String, to device: String, count: Int, size: Int, ids: MessageIDs
  ) async throws {
    let workload = PairWorkload(pairs: 1, messagesPerPair: count, size: size, pace: .window(256), ids: ids)
    try await workload.send(client: client, conversation: conversation, to: device)
  }
}
