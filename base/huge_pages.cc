// Copyright 2026 The fan-out engine authors.

#include "base/huge_pages.h"

#include <sys/mman.h>

#include <algorithm>
#include <cstdint>
#include <utility>

namespace fanout {
namespace {

thread_local HugePagePool* current_pool = nullptr;

// RoundUpToHugePages(bytes) of address space, 2 MiB aligned, not
// accessible: a place to map into with MAP_FIXED or MREMAP_FIXED.
char* Reserve(size_t bytes) {
  void* raw = ::mmap(nullptr, bytes + kHugePageBytes, PROT_NONE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (raw == MAP_FAILED) throw std::bad_alloc();
  const uintptr_t begin = reinterpret_cast<uintptr_t>(raw);
  const uintptr_t aligned = (begin + kHugePageBytes - 1) & ~uintptr_t{kHugePageBytes - 1};
  if (aligned > begin) ::munmap(raw, aligned - begin);
  const uintptr_t end = begin + bytes + kHugePageBytes;
  if (end > aligned + bytes) ::munmap(reinterpret_cast<void*>(aligned + bytes), end - aligned - bytes);
  return reinterpret_cast<char*>(aligned);
}

// Fresh, readable and writable anonymous pages over [p, p + bytes) (which
// the caller owns), advised to use huge pages when `huge`.
void MapFixed(char* p, size_t bytes, bool huge = true) {
  void* got = ::mmap(p, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
                     -1, 0);
  if (got == MAP_FAILED) throw std::bad_alloc();
  if (huge) ::madvise(p, bytes, MADV_HUGEPAGE);  // advisory: fine if refused
}

// Moves the pages of [from, from + bytes) to `to` (its old place becomes
// unmapped). mremap moves one mapping at a time, and a kept range may span
// several (one per piece it was joined from): on failure the range is moved
// in halves (whole huge pages each). A huge page the kernel will not move
// (not expected) is unmapped and `to` gets a fresh one in its place.
void Move(char* from, size_t bytes, char* to) {
  void* got = ::mremap(from, bytes, bytes, MREMAP_MAYMOVE | MREMAP_FIXED, to);
  if (got != MAP_FAILED) return;
  if (bytes <= kHugePageBytes) {
    ::munmap(from, bytes);
    MapFixed(to, bytes);
    return;
  }
  const size_t half = bytes / 2 / kHugePageBytes * kHugePageBytes;
  Move(from, half, to);
  Move(from + half, bytes - half, to + half);
}

}  // namespace

namespace {

char* MapFresh(size_t rounded, bool huge) {
  char* p = Reserve(rounded);
  try {
    MapFixed(p, rounded, huge);
  } catch (...) {
    ::munmap(p, rounded);
    throw;
  }
  return p;
}

}  // namespace

void* MapHuge(size_t bytes) {
  return MapFresh(RoundUpToHugePages(std::max<size_t>(bytes, 1)), /*huge=*/true);
}

void UnmapHuge(void* p, size_t bytes) {
  if (p != nullptr) ::munmap(p, RoundUpToHugePages(std::max<size_t>(bytes, 1)));
}

HugePagePool::HugePagePool(std::function<void(void*, size_t)> populate, FreshPages fresh)
    : populate_(std::move(populate)), fresh_(fresh) {}

HugePagePool::~HugePagePool() {
  for (const Range& r : kept_) ::munmap(r.p, r.bytes);
}

void* HugePagePool::Take(size_t bytes, bool huge) {
  const size_t want = RoundUpToHugePages(std::max<size_t>(bytes, 1));
  huge = huge && fresh_ == FreshPages::kHuge;
  std::vector<Range> parts;  // kept ranges to join, in order
  {
    std::lock_guard<std::mutex> lock(mu_);
    // The smallest kept range that holds it, cut from its front.
    size_t best = kept_.size();
    for (size_t i = 0; i < kept_.size(); ++i) {
      if (kept_[i].bytes >= want && (best == kept_.size() || kept_[i].bytes < kept_[best].bytes)) {
        best = i;
      }
    }
    if (best < kept_.size()) {
      char* p = kept_[best].p;
      if (kept_[best].bytes == want) {
        kept_.erase(kept_.begin() + best);
      } else {
        kept_[best].p += want;
        kept_[best].bytes -= want;
      }
      stats_.kept_bytes -= want;
      stats_.reused_bytes += want;
      return p;
    }
    // None does: all of them, largest first, joined (the last one cut).
    std::sort(kept_.begin(), kept_.end(),
              [](const Range& a, const Range& b) { return a.bytes > b.bytes; });
    size_t got = 0;
    while (got < want && !kept_.empty()) {
      Range& r = kept_.front();
      const size_t take = std::min(r.bytes, want - got);
      parts.push_back(Range{r.p, take});
      got += take;
      if (take == r.bytes) {
        kept_.erase(kept_.begin());
      } else {
        r.p += take;
        r.bytes -= take;
      }
    }
    stats_.kept_bytes -= got;
    stats_.reused_bytes += got;
    stats_.fresh_bytes += want - got;
  }
  if (parts.empty()) {
    void* p = MapFresh(want, huge);
    if (populate_) populate_(p, want);
    return p;
  }
  char* block = Reserve(want);
  size_t at = 0;
  for (const Range& part : parts) {
    Move(part.p, part.bytes, block + at);
    at += part.bytes;
  }
  if (at < want) {
    MapFixed(block + at, want - at, huge);
    if (populate_) populate_(block + at, want - at);
  }
  return block;
}

void HugePagePool::Give(void* p, size_t bytes) {
  if (p == nullptr) return;
  const size_t rounded = RoundUpToHugePages(std::max<size_t>(bytes, 1));
  std::lock_guard<std::mutex> lock(mu_);
  kept_.push_back(Range{static_cast<char*>(p), rounded});
  stats_.kept_bytes += rounded;
  // Adjacent ranges (a block given back next to the rest it was cut from)
  // become one.
  std::sort(kept_.begin(), kept_.end(), [](const Range& a, const Range& b) { return a.p < b.p; });
  size_t out = 0;
  for (size_t i = 1; i < kept_.size(); ++i) {
    if (kept_[out].p + kept_[out].bytes == kept_[i].p) {
      kept_[out].bytes += kept_[i].bytes;
    } else {
      kept_[++out] = kept_[i];
    }
  }
  kept_.resize(out + 1);
}

void HugePagePool::Release() {
  std::vector<Range> kept;
  {
    std::lock_guard<std::mutex> lock(mu_);
    kept.swap(kept_);
    stats_.kept_bytes = 0;
  }
  for (const Range& r : kept) ::munmap(r.p, r.bytes);
}

HugePagePool::Stats HugePagePool::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

HugePagePool* HugePagePool::Current() { return current_pool; }

HugePagePool::Scope::Scope(HugePagePool* pool) : previous_(current_pool) { current_pool = pool; }
HugePagePool::Scope::~Scope() { current_pool = previous_; }

}  // namespace fanout
