// ThreadSanitizer cannot see a contended `Synchronization.Mutex` on Linux.
//
// The standard library's Mutex takes and releases an uncontended lock with an
// atomic compare-and-exchange inlined into the caller's (instrumented) code,
// so TSan sees those. A contended lock goes through `_lockSlow` and
// `_unlockSlow` in libswiftSynchronization.so, which is not instrumented:
// they spin on the lock word and hand it over through the kernel
// (FUTEX_LOCK_PI / FUTEX_UNLOCK_PI), and TSan sees no happens-before edge, so
// every access a contended Mutex protects is reported as a race (in our code
// and in grpc-swift's). In binaries built with `--sanitize=thread` only, these
// wrappers take the place of the three slow paths (the library's symbols are
// imported, so the executable's definitions win), call the library's own, and
// tell TSan what happened: a release on the lock word before a slow unlock,
// an acquire after a slow lock — on the address the inlined atomics use, so
// both paths meet in one synchronization object. Without TSan this file
// compiles to nothing.
#if defined(__has_feature)
#if __has_feature(thread_sanitizer) && defined(__linux__)
#define RELAY_TSAN_MUTEX 1
#endif
#endif

#ifdef RELAY_TSAN_MUTEX
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

void __tsan_acquire(void *address);
void __tsan_release(void *address);

// `_MutexHandle` is address-only: Swift passes it borrowed, by address, in
// the swiftself register (clang calls it `swift_context`).
#define LOCK_SLOW "$s15Synchronization12_MutexHandleV9_lockSlowyys6UInt32VF"
#define TRY_LOCK_SLOW "$s15Synchronization12_MutexHandleV12_tryLockSlowSbyF"
#define UNLOCK_SLOW "$s15Synchronization12_MutexHandleV11_unlockSlowyyF"

typedef __attribute__((swiftcall)) void (*LockSlow)(uint32_t, __attribute__((swift_context)) void *);
typedef __attribute__((swiftcall)) bool (*TryLockSlow)(__attribute__((swift_context)) void *);
typedef __attribute__((swiftcall)) void (*UnlockSlow)(__attribute__((swift_context)) void *);

// The library's function; looked up once (a race to look it up is harmless,
// and atomic, so TSan agrees).
static void *library(void **cache, const char *name) {
  void *function = __atomic_load_n(cache, __ATOMIC_ACQUIRE);
  if (function == NULL) {
    function = dlsym(RTLD_NEXT, name);
    if (function == NULL) abort();
    __atomic_store_n(cache, function, __ATOMIC_RELEASE);
  }
  return function;
}

__attribute__((swiftcall)) void relay_lock_slow(uint32_t thread, __attribute__((swift_context)) void *handle) __asm__(LOCK_SLOW);
__attribute__((swiftcall)) void relay_lock_slow(uint32_t thread, __attribute__((swift_context)) void *handle) {
  static void *cache;
  LockSlow original = (LockSlow)library(&cache, LOCK_SLOW);
  original(thread, handle);
  __tsan_acquire(handle);
}

__attribute__((swiftcall)) bool relay_try_lock_slow(__attribute__((swift_context)) void *handle) __asm__(TRY_LOCK_SLOW);
__attribute__((swiftcall)) bool relay_try_lock_slow(__attribute__((swift_context)) void *handle) {
  static void *cache;
  TryLockSlow original = (TryLockSlow)library(&cache, TRY_LOCK_SLOW);
  bool locked = original(handle);
  if (locked) __tsan_acquire(handle);
  return locked;
}

__attribute__((swiftcall)) void relay_unlock_slow(__attribute__((swift_context)) void *handle) __asm__(UNLOCK_SLOW);
__attribute__((swiftcall)) void relay_unlock_slow(__attribute__((swift_context)) void *handle) {
  static void *cache;
  UnlockSlow original = (UnlockSlow)library(&cache, UNLOCK_SLOW);
  __tsan_release(handle);
  original(handle);
}
#endif
