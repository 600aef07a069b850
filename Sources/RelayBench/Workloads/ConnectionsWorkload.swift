import Foundation
import SwiftProtobuf
import Synchronization
import Wire

/// `devices` idle devices, each with its own mutual-TLS connection and an open
/// `Connect` stream: the relay's resident memory per connected device, and
/// how long connecting them all took.
struct ConnectionsWorkload: Sendable {
  var devices: Int

  func run(_ relay: RelayProcess, tag: String) async throws -> (bytesPerDevice: Double, connectSeconds: Double) {
    let devices = try (0 ..< self.devices).map { try BenchDevice(user: "idle\($0)-\(tag)@localhost") }
    let baseline = relay.residentBytes
    let started = monotonicNanoseconds()
    return try await withClients(devices, relay.target) { clients in
      try await withThrowingTaskGroup(of: Void.self) { group in
        let connected = Counter()
        let (allConnected, signal) = AsyncStream.makeStream(of: Void.self)
        var finishers = [AsyncStream<Relay_V1_ClientFrame>.Continuation]()
        for (device, client) in zip(devices, clients) {
          let (frames, continuation) = AsyncStream.makeStream(of: Relay_V1_ClientFrame.self)
          finishers.append(continuation)
          let total = devices.count
          group.addTask {
            _ = try await client.register(device.registerRequest())
            try await driveSession(client, outbound: frames, finish: continuation) { frame in
              if case .sync(let batch) = frame.frame, batch.caughtUp {
                if connected.increment() == total { signal.finish() }
              }
              return true
            }
          }
        }
        for await _ in allConnected {}
        let seconds = Double(monotonicNanoseconds() - started) / 1e9
        try await Task.sleep(for: .milliseconds(500))  // let the relay settle
        let perDevice = Double(relay.residentBytes - baseline) / Double(devices.count)
        for finisher in finishers { finisher.finish() }
        try await group.waitForAll()
        return (perDevice, seconds)
      }
    }
  }
}
