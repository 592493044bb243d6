// Copyright 2026 The fan-out engine authors.

#ifndef FANOUT_ENGINE_INTERNAL_ALERT_ACTIVITY_H_
#define FANOUT_ENGINE_INTERNAL_ALERT_ACTIVITY_H_

#include <atomic>

namespace fanout {
namespace internal {

// How many alerts are running over an index's views. Background
// maintenance waits (a bounded time) while any is: on a small machine
// alerts are what must be fast, and a freeze, compaction or merge step
// taken between alerts costs nothing that matters.
//
// Thread-safety: an atomic counter, raised and lowered by Scope from any
// thread.
struct AlertActivity {
  std::atomic<int> running{0};

  // Counts one alert while it lives; a null activity counts nothing.
  class Scope {
   public:
    explicit Scope(AlertActivity* a) : a_(a) {
      if (a_ != nullptr) a_->running.fetch_add(1, std::memory_order_relaxed);
    }
    ~Scope() {
      if (a_ != nullptr) a_->running.fetch_sub(1, std::memory_order_relaxed);
    }
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;

   private:
    AlertActivity* a_;
  };
};

}  // namespace internal
}  // namespace fanout

#endif  // FANOUT_ENGINE_INTERNAL_ALERT_ACTIVITY_H_
