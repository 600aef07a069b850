import Foundation

/// Wall time and the server process's CPU time (user + system, all its
/// threads, from /proc) over one measured phase of a workload: throughput
/// and CPU per message. CPU per message is the figure that survives a noisy
/// machine; the wall-clock rate is reported beside it.
struct PhaseMeter: Sendable {
  let pid: Int32
  let startedNs: UInt64
  let cpuStart: Double

  /// Starts measuring the server `pid` (nil: no CPU figure, only time).
  init(pid: Int32) {
    self.pid = pid
    self.cpuStart = processCPUSeconds(pid: pid)
    self.startedNs = monotonicNanoseconds()
  }

  /// `count` messages done since the start: per second, and server CPU µs per message.
  func finish(count: Int) -> (perSecond: Double, cpuMicrosPerMessage: Double) {
    let seconds = Double(monotonicNanoseconds() - self.startedNs) / 1e9
    let cpu = processCPUSeconds(pid: self.pid) - self.cpuStart
    return (Double(count) / seconds, count > 0 ? cpu * 1e6 / Double(count) : 0)
  }
}

/// User + system CPU seconds of process `pid` so far (fields 14 and 15 of
/// /proc/PID/stat, in clock ticks); 0 when it cannot be read.
func processCPUSeconds(pid: Int32) -> Double {
  guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
    let close = stat.lastIndex(of: ")")
  else { return 0 }
  // After "pid (comm)": field 3 is the state, so utime and stime are the 12th and 13th fields here.
  let fields = stat[stat.index(after: close)...].split(separator: " ")
  guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return 0 }
  return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
}
