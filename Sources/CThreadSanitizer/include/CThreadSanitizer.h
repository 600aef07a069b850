// Nothing to call: this target only adds, to binaries built with
// `--sanitize=thread`, the futex wrapper in CThreadSanitizer.c.
#ifndef RELAY_CTHREADSANITIZER_H
#define RELAY_CTHREADSANITIZER_H
#endif
