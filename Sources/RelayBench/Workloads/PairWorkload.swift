import Foundation
internal import RelayCore
import SwiftProtobuf
import Synchronization
import Wire

/// 1:1 traffic between `pairs` sender/receiver pairs, each pair its own direct
/// conversation: as fast as `sent` results allow (a window of in-flight sends
/// per sender), or at a fixed total rate.
struct PairWorkload: Sendable {
  enum Pace: Sendable {
    case window(Int)
    case rate(perSecond: Double)
  }

  var pairs: Int
  var messagesPerPair: Int
  var size: Int
  var pace: Pace
  var ids = MessageIDs.timeOrdered
  var acks = AckPolicy.batched

  func run(
    _ target: BenchTarget, tag: String
  ) async throws -> (perSecond: Double, latency: Latency, cpuMicrosPerMessage: Double) {
    let senders = try (0 ..< self.pairs).map { try BenchDevice(user: "s\($0)-\(tag)@localhost") }
    let receivers = try (0 ..< self.pairs).map { try BenchDevice(user: "r\($0)-\(tag)@localhost") }
    let workload = self
    return try await withClients(senders + receivers, target) { clients in
      for (device, client) in zip(senders + receivers, clients) {
        _ = try await client.register(device.registerRequest())
      }
      var conversations = [String]()
      for (index, receiver) in receivers.enumerated() {
        let conversation = try await clients[index].createConversation(
          .with {
            $0.kind = .direct
            $0.members = [receiver.user]
          })
        conversations.append(conversation.id)
      }
      let conversationIDs = conversations
      let latencies = LatencyRecorder()
      let meter = PhaseMeter(pid: target.pid)
      try await withThrowingTaskGroup(of: Void.self) { group in
        for index in 0 ..< workload.pairs {
          let (acks, ackContinuation) = AsyncStream.makeStream(of: Relay_V1_ClientFrame.self)
          let interval: UInt64? =
            if case .rate(let perSecond) = workload.pace { UInt64(1e9 / (perSecond / Double(workload.pairs))) } else {
              nil
            }
          let receiver = Receiver(
            expected: workload.messagesPerPair, latencies: latencies, expectedInterval: interval, ack: ackContinuation,
            acks: workload.acks)
          group.addTask {
            try await driveSession(
              clients[workload.pairs + index], outbound: acks, finish: ackContinuation, onFrame: receiver.handle)
          }
          group.addTask {
            try await workload.send(
              client: clients[index], conversation: conversationIDs[index], to: receivers[index].address)
          }
        }
        try await group.waitForAll()
      }
      let measured = meter.finish(count: workload.pairs * workload.messagesPerPair)
      return (measured.perSecond, latencies.summary, measured.cpuMicrosPerMessage)
    }
  }

  func send(client: BenchClient, conversation: String, to device: String) async throws {
    let (frames, continuation) = AsyncStream.makeStream(of: Relay_V1_ClientFrame.self)
    let total = self.messagesPerPair
    let size = self.size
    let ids = self.ids
    let make: @Sendable () -> Relay_V1_ClientFrame = {
      .with { frame in
        frame.send.messageID = ids.next()
        frame.send.conversationID = conversation
        frame.send.copies = [
          .with {
            $0.device = device
            $0.ciphertext = timedPayload(size: size)
          }
        ]
      }
    }
    let results = Counter()
    let acksReceipts = self.acks.senderAcksReceipts
    /// Acks a receipt, as the SDK does; true for a `sent` result.
    let isResult: @Sendable (Relay_V1_ServerFrame) -> Bool = { frame in
      if case .receipt(let receipt) = frame.frame, acksReceipts {
        continuation.yield(.with { $0.ack.cursor = receipt.cursor })
      }
      if case .sent = frame.frame { return true }
      return false
    }
    switch self.pace {
    case .window(let window):
      let issued = Counter(min(window, total))
      for _ in 0 ..< min(window, total) { continuation.yield(make()) }
      try await driveSession(client, outbound: frames, finish: continuation) { frame in
        guard isResult(frame) else { return true }
        let done = results.increment() >= total
        if issued.increment(upTo: total) { continuation.yield(make()) }
        return !done
      }
    case .rate(let perSecond):
      let interval = Duration.nanoseconds(Int64(1e9 / (perSecond / Double(self.pairs))))
      try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask {
          try await driveSession(client, outbound: frames, finish: continuation) { frame in
            guard isResult(frame) else { return true }
            return results.increment() < total
          }
        }
        let clock = ContinuousClock()
        let start = clock.now
        for index in 0 ..< total {
          try await clock.sleep(until: start + interval * index)
          continuation.yield(make())
        }
        try await group.waitForAll()
      }
    }
  }
}
