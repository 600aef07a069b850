import Foundation
internal import RelayCore
import SwiftProtobuf
import Wire

/// Group fan-out: one sender in a group of `members` devices (one per user),
/// every message sealed once per recipient; deliveries per second.
struct FanOutWorkload: Sendable {
  var members: Int
  var messages: Int
  var size: Int
  var ids = MessageIDs.timeOrdered
  var acks = AckPolicy.batched

  func run(
    _ target: BenchTarget, tag: String
  ) async throws -> (deliveriesPerSecond: Double, latency: Latency, cpuMicrosPerDelivery: Double) {
    let devices = try (0 ..< self.members).map { try BenchDevice(user: "g\($0)-\(tag)@localhost") }
    let workload = self
    return try await withClients(devices, target) { clients in
      for (device, client) in zip(devices, clients) { _ = try await client.register(device.registerRequest()) }
      let group = try await clients[0].createConversation(
        .with {
          $0.kind = .group
          $0.members = devices.dropFirst().map(\.user)
        })
      let recipients = devices.dropFirst().map(\.address)
      let latencies = LatencyRecorder()
      let meter = PhaseMeter(pid: target.pid)
      try await withThrowingTaskGroup(of: Void.self) { tasks in
        for index in 1 ..< devices.count {
          let (acks, continuation) = AsyncStream.makeStream(of: Relay_V1_ClientFrame.self)
          let receiver = Receiver(
            expected: workload.messages, latencies: latencies, expectedInterval: nil, ack: continuation,
            acks: workload.acks)
          tasks.addTask {
            try await driveSession(clients[index], outbound: acks, finish: continuation, onFrame: receiver.handle)
          }
        }
        tasks.addTask {
          for _ in 0 ..< workload.messages {
            var request = Relay_V1_SendRequest()
            request.messageID = workload.ids.next()
            request.conversationID = group.id
            let payload = timedPayload(size: workload.size)
            request.copies = recipients.map { device in
              .with {
                $0.device = device
                $0.ciphertext = payload
              }
            }
            _ = try await clients[0].send(request)
          }
        }
        try await tasks.waitForAll()
      }
      let measured = meter.finish(count: workload.messages * recipients.count)
      return (measured.perSecond, latencies.summary, measured.cpuMicrosPerMessage)
    }
  }
}
