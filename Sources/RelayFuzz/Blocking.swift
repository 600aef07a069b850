internal import Dispatch
internal import RelayCore
internal import Synchronization

/// Runs async work to completion from libFuzzer's synchronous callback. The
/// harness is the one place that waits for a task this way: libFuzzer calls
/// in on its own thread, outside any Swift task.
func blocking<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) -> Result<T, any Error> {
  let outcome = Mutex<Result<T, any Error>?>(nil)
  let done = DispatchSemaphore(value: 0)
  Task.detached {
    let result: Result<T, any Error>
    do { result = .success(try await body()) } catch { result = .failure(error) }
    outcome.withLock { $0 = result }
    done.signal()
  }
  done.wait()
  return outcome.withLock { $0! }
}
