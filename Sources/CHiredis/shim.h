// libhiredis (Debian: libhiredis-dev): its RESP reply reader and command
// formatter. The Redis target drives them from SwiftNIO; hiredis does no I/O here.
#include <hiredis/hiredis.h>
#include <hiredis/read.h>
