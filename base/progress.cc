// Copyright 2026 The fan-out engine authors.

#include "base/progress.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>

#include "absl/time/clock.h"

namespace fanout {

bool Progress::DefaultEnabled() { return ::isatty(STDOUT_FILENO) == 1; }

Progress::Progress(std::string label, uint64_t total, std::string unit, bool enabled)
    : label_(std::move(label)),
      total_(total),
      unit_(std::move(unit)),
      enabled_(enabled),
      start_ns_(absl::GetCurrentTimeNanos()) {
  if (enabled_) thread_ = std::thread([this] { Run(); });
}

Progress::~Progress() { Finish(); }

void Progress::Finish() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stop_) return;
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  if (enabled_) Print(/*final_line=*/true);
}

void Progress::Run() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    cv_.wait_for(lock, std::chrono::milliseconds(250));
    if (stop_) break;
    lock.unlock();
    Print(/*final_line=*/false);
    lock.lock();
  }
}

void Progress::Print(bool final_line) {
  double seconds = (absl::GetCurrentTimeNanos() - start_ns_) * 1e-9;
  uint64_t done = this->done();
  double rate = seconds > 0 ? done / seconds : 0;
  if (total_ > 0) {
    double pct = 100.0 * done / total_;
    double eta = rate > 0 && done < total_ ? (total_ - done) / rate : 0;
    std::fprintf(stderr, "\r%s: %llu/%llu %s (%.1f%%) %.2fM/s %.1fs elapsed, %.1fs left  ",
                 label_.c_str(), static_cast<unsigned long long>(done),
                 static_cast<unsigned long long>(total_), unit_.c_str(), pct, rate / 1e6,
                 seconds, eta);
  } else {
    std::fprintf(stderr, "\r%s: %llu %s %.2fM/s %.1fs elapsed  ", label_.c_str(),
                 static_cast<unsigned long long>(done), unit_.c_str(), rate / 1e6, seconds);
  }
  if (final_line) std::fputc('\n', stderr);
  std::fflush(stderr);
}

}  // namespace fanout
