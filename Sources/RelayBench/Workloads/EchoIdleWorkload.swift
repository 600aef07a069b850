import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
internal import RelayCore

/// The memory floor: `connections` idle clients of the bare echo server, each
/// with its own mutual-TLS connection and one open stream that has carried a
/// message each way. What the transport alone holds per connected device.
struct EchoIdleWorkload: Sendable {
  var connections: Int
  /// At most this many connections between their first packet and their echo at a time.
  var connectingAtOnce = 500

  func run(_ echo: RelayProcess) async throws -> Double {
    let devices = try (0 ..< self.connections).map { try BenchDevice(user: "floor\($0)@localhost") }
    let baseline = echo.residentBytes
    var window = ArrivalWindow(limit: self.connectingAtOnce)
    let echoed = window.arrived
    return try await withThrowingTaskGroup(of: Void.self) { group in
      for (index, device) in devices.enumerated() {
        await window.admit(index)
        group.addTask {
          try await withGRPCClient(transport: try device.transport(echo.target)) { client in
            let request = StreamingClientRequest<[UInt8]> { writer in
              try await writer.write(Array(timedPayload(size: 256)))
              try await idleUntilCancelled()
            }
            try await client.bidirectionalStreaming(
              request: request, descriptor: EchoService.method, serializer: BytesCoder(),
              deserializer: BytesCoder(), options: .defaults
            ) { response in
              for try await _ in response.messages {
                echoed.yield()
                try await idleUntilCancelled()
              }
            }
          }
        }
      }
      await window.waitForAll(devices.count)
      try await Task.sleep(for: .milliseconds(500))  // let the server settle
      let perConnection = Double(echo.residentBytes - baseline) / Double(devices.count)
      group.cancelAll()
      while (try? await group.next()) != nil {}
      return perConnection
    }
  }
}

/// Holds a stream open until the benchmark is done with it.
private func idleUntilCancelled() async throws {
  try await Task.sleep(for: .seconds(24 * 3600))
}
