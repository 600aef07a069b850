import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
internal import RelayCore
import Synchronization

/// The ceiling: the same message sizes through a bare bidirectional echo
/// service on the same transport and TLS settings (`relay-bench echo-server`):
/// what gRPC itself allows on this machine, with no storage or routing.
struct EchoWorkload: Sendable {
  var streams: Int
  var messagesPerStream: Int
  var size: Int
  var window: Int

  func run(_ target: BenchTarget) async throws -> (perSecond: Double, latency: Latency, cpuMicrosPerMessage: Double) {
    let devices = try (0 ..< self.streams).map { try BenchDevice(user: "echo\($0)@localhost") }
    let latencies = LatencyRecorder()
    let workload = self
    let meter = PhaseMeter(pid: target.pid)
    try await withThrowingTaskGroup(of: Void.self) { group in
      for device in devices {
        group.addTask {
          try await withGRPCClient(transport: try device.transport(target)) { client in
            try await workload.echo(client, latencies)
          }
        }
      }
      try await group.waitForAll()
    }
    let measured = meter.finish(count: self.streams * self.messagesPerStream)
    return (measured.perSecond, latencies.summary, measured.cpuMicrosPerMessage)
  }

  private func echo(_ client: GRPCClient<HTTP2ClientTransport.Posix>, _ latencies: LatencyRecorder) async throws {
    let (frames, continuation) = AsyncStream.makeStream(of: [UInt8].self)
    let total = self.messagesPerStream
    let size = self.size
    let issued = Counter(min(self.window, total))
    for _ in 0 ..< min(self.window, total) { continuation.yield(Array(timedPayload(size: size))) }
    let request = StreamingClientRequest<[UInt8]> { writer in
      for await frame in frames { try await writer.write(frame) }
    }
    try await client.bidirectionalStreaming(
      request: request, descriptor: EchoService.method, serializer: BytesCoder(), deserializer: BytesCoder(),
      options: .defaults
    ) { response in
      defer { continuation.finish() }
      var received = 0
      for try await message in response.messages {
        latencies.record(nanoseconds: monotonicNanoseconds() &- sentAt(Data(message)))
        received += 1
        if received == total { break }
        if issued.increment(upTo: total) { continuation.yield(Array(timedPayload(size: size))) }
      }
    }
  }
}
