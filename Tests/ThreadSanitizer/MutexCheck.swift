// The sanitizer phase's self-check (scripts/tsan.sh builds and runs it first).
//
// Four threads increment a counter under a contended `Mutex`; with the
// CThreadSanitizer wrapper linked in, ThreadSanitizer must report nothing
// (without it, it reports the counter). Given the argument `racy`, they also
// increment a counter with no lock, which ThreadSanitizer must still report:
// the wrapper hides no real race.
import Foundation
import Synchronization

final class Counters: @unchecked Sendable {
  let lock = Mutex(())
  var locked = 0
  var unlocked = 0
}

let counters = Counters()
let racy = CommandLine.arguments.dropFirst().first == "racy"
let done = DispatchGroup()
for _ in 0 ..< 4 {
  done.enter()
  Thread {
    for _ in 0 ..< 20_000 {
      counters.lock.withLock { _ in counters.locked += 1 }
      if racy { counters.unlocked += 1 }
    }
    done.leave()
  }.start()
}
done.wait()
print("locked", counters.lock.withLock { _ in counters.locked })
