// Copyright 2026 The fan-out engine authors.

#ifndef FANOUT_BASE_PROGRESS_H_
#define FANOUT_BASE_PROGRESS_H_

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"

namespace fanout {

// Reports the progress of long work (generate, build, load) as a single
// self-overwriting line on stderr, a few times a second, with a rate and an
// estimate of the time left. It prints only when enabled, and by default it is
// enabled only when stdout is a terminal, so scripts and CI logs stay quiet.
//
// Thread-safety: Add() may be called from any number of threads at once; the
// constructor, Finish() and the destructor from one thread.
//
// Typical usage:
//   Progress progress("building index", users.size());
//   tbb::parallel_for(..., [&](auto r) { ...; progress.Add(r.size()); });
//   progress.Finish();
class Progress {
 public:
  // `total` is in `unit`s; 0 means unknown (no percentage is shown).
  Progress(std::string label, uint64_t total, std::string unit = "users",
           bool enabled = DefaultEnabled());
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  void Add(uint64_t n) { done_.fetch_add(n, std::memory_order_relaxed); }
  uint64_t done() const { return done_.load(std::memory_order_relaxed); }

  // Prints the final line (when enabled) and stops the reporter thread.
  // Idempotent; the destructor calls it.
  void Finish();

  // True when stdout is a terminal.
  static bool DefaultEnabled();

 private:
  void Run();
  void Print(bool final_line);

  const std::string label_;
  const uint64_t total_;
  const std::string unit_;
  const bool enabled_;
  const int64_t start_ns_;
  std::atomic<uint64_t> done_{0};

  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace fanout

#endif  // FANOUT_BASE_PROGRESS_H_
