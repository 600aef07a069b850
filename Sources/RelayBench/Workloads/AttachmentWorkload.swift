import Foundation
import GRPCCore
import SwiftProtobuf
import Wire

/// One device uploads an attachment of `mebibytes` MiB in 1 MiB chunks and
/// another downloads it; beside it, the ceiling: the same bytes written to a
/// file (and fsynced) and read back, on the disk of the temporary folder.
/// The relay does not care what the bytes are: they are random, as ciphertext is.
struct AttachmentWorkload: Sendable {
  var mebibytes: Int
  static let chunk = 1 << 20

  struct Result {
    var upMiBPerSecond: Double
    var downMiBPerSecond: Double
    var cpuMicrosPerMiBUp: Double
    var fileWriteMiBPerSecond: Double
    var fileReadMiBPerSecond: Double
  }

  func run(_ target: BenchTarget, tag: String) async throws -> Result {
    var generator = SystemRandomNumberGenerator()
    let bytes = Data(
      (0 ..< self.mebibytes * Self.chunk / 8).flatMap { _ in
        withUnsafeBytes(of: generator.next() as UInt64) { Array($0) }
      })
    let uploader = try BenchDevice(user: "au-\(tag)@localhost")
    let downloader = try BenchDevice(user: "ad-\(tag)@localhost")
    var result = try await withClients([uploader, downloader], target) { clients in
      _ = try await clients[0].register(uploader.registerRequest())
      _ = try await clients[1].register(downloader.registerRequest())
      let upload = try await clients[0].createUpload(.with { $0.size = UInt64(bytes.count) })
      let meter = PhaseMeter(pid: target.pid)
      let upStart = ContinuousClock.now
      let stored = try await clients[0].uploadChunks { writer in
        var offset = 0
        while offset < bytes.count {
          try await writer.write(
            .with {
              $0.attachmentID = upload.attachmentID
              $0.offset = UInt64(offset)
              $0.data = bytes[offset ..< min(offset + Self.chunk, bytes.count)]
            })
          offset += Self.chunk
        }
      }
      let upSeconds = Self.seconds(since: upStart)
      let cpu = meter.finish(count: self.mebibytes).cpuMicrosPerMessage
      guard stored.complete else { throw BenchError("the upload did not complete") }
      let downStart = ContinuousClock.now
      let received = try await clients[1].download(.with { $0.attachmentID = upload.attachmentID }) { response in
        var count = 0
        for try await chunk in response.messages { count += chunk.data.count }
        return count
      }
      guard received == bytes.count else { throw BenchError("the download came short") }
      return Result(
        upMiBPerSecond: Double(self.mebibytes) / upSeconds,
        downMiBPerSecond: Double(self.mebibytes) / Self.seconds(since: downStart), cpuMicrosPerMiBUp: cpu,
        fileWriteMiBPerSecond: 0, fileReadMiBPerSecond: 0)
    }
    (result.fileWriteMiBPerSecond, result.fileReadMiBPerSecond) = try self.fileCopy(bytes)
    return result
  }

  /// The disk's own pace for the same bytes: written in 1 MiB writes and fsynced, then read back.
  private func fileCopy(_ bytes: Data) throws -> (write: Double, read: Double) {
    let path = NSTemporaryDirectory() + "relay-bench-copy-\(UUID().uuidString)"
    defer { try? FileManager.default.removeItem(atPath: path) }
    guard FileManager.default.createFile(atPath: path, contents: nil) else { throw BenchError("cannot create \(path)") }
    let writeStart = ContinuousClock.now
    let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
    var offset = 0
    while offset < bytes.count {
      try handle.write(contentsOf: bytes[offset ..< min(offset + Self.chunk, bytes.count)])
      offset += Self.chunk
    }
    try handle.synchronize()
    try handle.close()
    let write = Double(self.mebibytes) / Self.seconds(since: writeStart)
    let readStart = ContinuousClock.now
    let read = try Data(contentsOf: URL(fileURLWithPath: path))
    guard read.count == bytes.count else { throw BenchError("the copy came back short") }
    return (write, Double(self.mebibytes) / Self.seconds(since: readStart))
  }

  private static func seconds(since start: ContinuousClock.Instant) -> Double {
    let elapsed = ContinuousClock.now - start
    return max(Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18, 1e-9)
  }
}
