// Copyright 2026 The fan-out engine authors.
//
// Linked into every test executable (tests/CMakeLists.txt), whether or not
// the test uses anything else from tests/support.

#include "oneapi/tbb/global_control.h"

namespace fanout {
namespace testing {
namespace {

#if defined(__SANITIZE_THREAD__)
// Under ThreadSanitizer (`./run tsan`), TBB runs every task on the thread
// that started it. Debian's libtbb is not instrumented, so TSan cannot see
// how TBB hands a task to a worker and would report every parallel_for as
// a race. The project's own threads (writers, alerts, the live index's
// maintenance threads, the engine's sync thread) still run concurrently
// and are fully checked.
const tbb::global_control kOneTbbThread(tbb::global_control::max_allowed_parallelism, 1);
#endif

}  // namespace
}  // namespace testing
}  // namespace fanout
