internal import RelayCore
internal import ServiceLifecycle

#if canImport(Glibc)
internal import Glibc
#endif

/// Gives memory the relay no longer uses back to the system.
///
/// glibc's allocator keeps freed memory in its per-thread arenas: after
/// thousands of connections or calls come and go, the relay's RSS stays at
/// its peak although the memory is free (measured: 9,000 abandoned
/// `Health/Watch` calls left RSS at 118 MiB where 72 MiB were live;
/// `malloc_trim` returned the rest). Every `interval` this trims the arenas.
/// A no-op where the C library is not glibc.
struct MemoryTrimmer: Service {
  let interval: Duration

  /// glibc's `malloc_trim`, found at run time (Swift's Glibc module does not export it).
  private static let mallocTrim: (@convention(c) (Int) -> Int32)? = {
    #if canImport(Glibc)
    dlsym(UnsafeMutableRawPointer(bitPattern: 0), "malloc_trim").map {
      unsafeBitCast($0, to: (@convention(c) (Int) -> Int32).self)
    }
    #else
    nil
    #endif
  }()

  func run() async throws {
    while !Task.isCancelled && !Task.isShuttingDownGracefully {
      do {
        try await cancelWhenGracefulShutdown { try await Task.sleep(for: self.interval) }
      } catch {
        return
      }
      _ = Self.mallocTrim?(0)
    }
  }
}
