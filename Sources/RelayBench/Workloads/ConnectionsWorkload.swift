import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
internal import RelayCore
import SwiftProtobuf
import Wire

/// `devices` idle devices, each with its own mutual-TLS connection and an open
/// `Connect` stream: the relay's resident memory per connected device, and
/// how long connecting them all took. At most `connectingAtOnce` devices are
/// between their first packet and their caught-up sync at a time, as devices
/// arriving over a network would be, rather than every SYN at once.
struct ConnectionsWorkload: Sendable {
  var devices: Int
  var connectingAtOnce = 500

  func run(_ relay: RelayProcess, tag: String) async throws -> (bytesPerDevice: Double, connectSeconds: Double) {
    let devices = try (0 ..< self.devices).map { try BenchDevice(user: "idle\($0)-\(tag)@localhost") }
    let baseline = relay.residentBytes
    let started = monotonicNanoseconds()
    let outbound = devices.map { _ in AsyncStream.makeStream(of: Relay_V1_ClientFrame.self) }
    return try await withThrowingTaskGroup(of: (Double, Double)?.self) { heartbeats in
      // Every device heartbeats, as a real one does, so none is closed for silence while the rest connect.
      heartbeats.addTask {
        await Self.heartbeat(outbound.map(\.1), every: .seconds(15))
        return nil
      }
      heartbeats.addTask {
        try await self.connectAndMeasure(
          devices, outbound: outbound, relay: relay, baseline: baseline, started: started)
      }
      defer { heartbeats.cancelAll() }
      while let result = try await heartbeats.next() {
        if let result { return result }
      }
      throw BenchError("the connections workload ended without a result")
    }
  }

  private func connectAndMeasure(
    _ devices: [BenchDevice],
    outbound: [(AsyncStream<Relay_V1_ClientFrame>, AsyncStream<Relay_V1_ClientFrame>.Continuation)],
    relay: RelayProcess, baseline: Int, started: UInt64
  ) async throws -> (Double, Double) {
    var window = ArrivalWindow(limit: self.connectingAtOnce)
    let caughtUp = window.arrived
    return try await withThrowingTaskGroup(of: Void.self) { group in
      for (index, (device, (frames, finish))) in zip(devices, outbound).enumerated() {
        await window.admit(index)
        group.addTask {
          try await withGRPCClient(transport: try device.transport(relay.target)) { grpc in
            let client = BenchClient(wrapping: grpc)
            _ = try await client.register(device.registerRequest())
            // Open until its frames are finished, after the measurement.
            try await driveSession(client, outbound: frames, finish: finish) { frame in
              if case .sync(let batch) = frame.frame, batch.caughtUp { caughtUp.yield() }
              return true
            }
          }
        }
      }
      await window.waitForAll(devices.count)
      let seconds = Double(monotonicNanoseconds() - started) / 1e9
      try await Task.sleep(for: .milliseconds(500))  // let the relay settle
      let perDevice = Double(relay.residentBytes - baseline) / Double(devices.count)
      for (_, finish) in outbound { finish.finish() }
      try await group.waitForAll()
      return (perDevice, seconds)
    }
  }

  /// Queues a heartbeat on every device's stream each `interval`, until cancelled.
  private static func heartbeat(
    _ streams: [AsyncStream<Relay_V1_ClientFrame>.Continuation], every interval: Duration
  ) async {
    var frame = Relay_V1_ClientFrame()
    frame.heartbeat.clientTimeMs = 0
    while (try? await Task.sleep(for: interval)) != nil {
      for stream in streams { stream.yield(frame) }
    }
  }
}
