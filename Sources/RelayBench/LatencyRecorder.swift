import Histogram
internal import RelayCore
import Synchronization

/// Send-to-delivery latencies in microseconds, in an HdrHistogram.
/// For fixed-rate runs, values are corrected for coordinated omission.
final class LatencyRecorder: Sendable {
  private let histogram = Mutex(
    Histogram<UInt64>(highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: .three))

  func record(nanoseconds: UInt64, expectedIntervalNanoseconds: UInt64? = nil) {
    let micros = max(1, nanoseconds / 1000)
    self.histogram.withLock { histogram in
      if let interval = expectedIntervalNanoseconds {
        _ = histogram.recordCorrectedValue(micros, expectedInterval: max(1, interval / 1000))
      } else {
        _ = histogram.record(micros)
      }
    }
  }

  /// p50, p99, p99.9 and max, in milliseconds.
  var summary: Latency {
    self.histogram.withLock { h in
      Latency(
        count: h.totalCount,
        p50: Double(h.valueAtPercentile(50)) / 1000, p99: Double(h.valueAtPercentile(99)) / 1000,
        p999: Double(h.valueAtPercentile(99.9)) / 1000, max: Double(h.max) / 1000)
    }
  }
}

struct Latency: Codable, Sendable {
  var count: UInt64
  var p50: Double
  var p99: Double
  var p999: Double
  var max: Double
}
