// libFuzzer's driver, for relay-fuzz's entry point (linked only when built
// with -sanitize=fuzzer; see scripts/fuzz.sh).
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*UserCb)(const uint8_t *Data, size_t Size));
