import Foundation

/// The process that listens on a loopback TCP port, found from /proc: the
/// socket's inode in /proc/net/tcp, then the process holding it. Under
/// `RELAY_BENCH_WRAPPER` the child relay-bench started is the profiler (or a
/// shell script of it), not the server, and the server's CPU and memory must
/// be read — and the server stopped — by its own pid.
enum ListeningProcess {
  static func pid(port: Int) -> Int32? {
    guard let inode = Self.listeningInode(port: port) else { return nil }
    let link = "socket:[\(inode)]"
    guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return nil }
    for entry in entries {
      guard let pid = Int32(entry),
        let fds = try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(entry)/fd")
      else { continue }
      for fd in fds
      where (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(entry)/fd/\(fd)")) == link {
        return pid
      }
    }
    return nil
  }

  /// Whether `pid` is a process that has not exited (a zombie has).
  static func isRunning(_ pid: Int32) -> Bool {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
      let close = stat.lastIndex(of: ")")
    else { return false }
    return stat[stat.index(after: close)...].split(separator: " ").first != "Z"
  }

  /// The inode of the socket listening (state 0A) on 127.0.0.1:`port`.
  private static func listeningInode(port: Int) -> String? {
    guard let table = try? String(contentsOfFile: "/proc/net/tcp", encoding: .utf8) else { return nil }
    let local = "0100007F:" + String(format: "%04X", port)
    for line in table.split(separator: "\n").dropFirst() {
      let fields = line.split(separator: " ")
      guard fields.count > 9, fields[1] == local, fields[3] == "0A" else { continue }
      return String(fields[9])
    }
    return nil
  }
}
