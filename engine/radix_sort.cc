// Copyright 2026 The fan-out engine authors.

#include "engine/radix_sort.h"

#include <sys/mman.h>

#include <algorithm>
#include <cstdlib>
#include <new>
#include <cstring>
#include <memory>
#include <thread>
#include <utility>

#include "oneapi/tbb/blocked_range.h"
#include "oneapi/tbb/parallel_for.h"

namespace fanout {
namespace {

constexpr int kDigitBits = 8;
constexpr int kBuckets = 1 << kDigitBits;
constexpr int kDigits = (64 + kDigitBits - 1) / kDigitBits;  // 8
constexpr size_t kMinChunk = size_t{1} << 16;

inline uint32_t Digit(uint64_t key, int d) {
  return static_cast<uint32_t>(key >> (d * kDigitBits)) & (kBuckets - 1);
}

// Splits [0, n) into `chunks` nearly equal, ordered chunks.
struct Chunks {
  size_t n, count;
  size_t begin(size_t c) const { return n * c / count; }
  size_t end(size_t c) const { return n * (c + 1) / count; }
};

void ParallelCopy(const uint64_t* from, uint64_t* to, size_t n) {
  tbb::parallel_for(tbb::blocked_range<size_t>(0, n, size_t{1} << 20), [&](const auto& r) {
    std::memcpy(to + r.begin(), from + r.begin(), r.size() * sizeof(uint64_t));
  });
}

}  // namespace

U64Column::U64Column(size_t n) : size_(n) {
  if (n == 0) return;
  constexpr size_t kHuge = size_t{2} << 20;
  size_t bytes = (n * sizeof(uint64_t) + kHuge - 1) / kHuge * kHuge;
  data_ = static_cast<uint64_t*>(std::aligned_alloc(kHuge, bytes));
  if (data_ == nullptr) throw std::bad_alloc();
  ::madvise(data_, bytes, MADV_HUGEPAGE);  // advisory: fine if refused
}

U64Column::~U64Column() { std::free(data_); }

U64Column& U64Column::operator=(U64Column&& o) noexcept {
  if (this != &o) {
    std::free(data_);
    data_ = o.data_;
    size_ = o.size_;
    o.data_ = nullptr;
    o.size_ = 0;
  }
  return *this;
}

int RadixSortPairs(std::vector<uint64_t>* keys, std::vector<uint64_t>* values,
                   const RadixSortOptions& options) {
  const size_t n = keys->size();
  if (n < 2) return 0;
  U64Column scratch_keys(n), scratch_values(n);
  return RadixSortPairs(absl::MakeSpan(*keys), absl::MakeSpan(*values), scratch_keys.span(),
                        scratch_values.span(), nullptr, options);
}

int RadixSortPairs(absl::Span<uint64_t> keys, absl::Span<uint64_t> values,
                   absl::Span<uint64_t> scratch_keys, absl::Span<uint64_t> scratch_values,
                   bool* result_in_scratch, const RadixSortOptions& options) {
  const size_t n = keys.size();
  if (result_in_scratch != nullptr) *result_in_scratch = false;
  if (n < 2) return 0;
  const size_t workers = std::max(1u, std::thread::hardware_concurrency());
  const Chunks chunks{n, std::clamp<size_t>(n / kMinChunk, 1, 4 * workers)};
  const size_t nc = chunks.count;
  auto report = [&](uint64_t done) {
    if (options.progress != nullptr) options.progress(options.progress_context, done);
  };

  // counts[c][d][b]: in chunk c, keys whose digit d is b. One read pass
  // gives every digit's counts; they are exact for the first pass, and
  // their sums tell which digits are constant (nothing to do).
  std::vector<uint64_t> counts(nc * kDigits * kBuckets, 0);
  auto count_at = [&](size_t c, int d) { return counts.data() + (c * kDigits + d) * kBuckets; };
  {
    const uint64_t* k = keys.data();
    tbb::parallel_for(size_t{0}, nc, [&](size_t c) {
      uint64_t* h = count_at(c, 0);
      for (size_t i = chunks.begin(c); i < chunks.end(c); ++i) {
        const uint64_t key = k[i];
        for (int d = 0; d < kDigits; ++d) ++h[d * kBuckets + Digit(key, d)];
      }
    });
  }
  std::vector<int> passes;
  for (int d = 0; d < kDigits; ++d) {
    bool constant = false;
    for (int b = 0; b < kBuckets && !constant; ++b) {
      uint64_t total = 0;
      for (size_t c = 0; c < nc; ++c) total += count_at(c, d)[b];
      constant = total == n;
    }
    if (!constant) passes.push_back(d);
  }
  if (passes.empty()) return 0;

  uint64_t* src_k = keys.data();
  uint64_t* src_v = values.data();
  uint64_t* dst_k = scratch_keys.data();
  uint64_t* dst_v = scratch_values.data();
  std::vector<uint64_t> offsets(nc * kBuckets);
  for (size_t p = 0; p < passes.size(); ++p) {
    const int d = passes[p];
    if (p > 0) {  // Entries moved between chunks: recount this digit.
      tbb::parallel_for(size_t{0}, nc, [&](size_t c) {
        uint64_t* h = count_at(c, d);
        std::fill(h, h + kBuckets, 0);
        for (size_t i = chunks.begin(c); i < chunks.end(c); ++i) ++h[Digit(src_k[i], d)];
      });
    }
    // Chunk c's first slot for bucket b: everything in smaller buckets, then
    // bucket b's entries of earlier chunks (this is what makes it stable).
    uint64_t next = 0;
    for (int b = 0; b < kBuckets; ++b) {
      for (size_t c = 0; c < nc; ++c) {
        offsets[c * kBuckets + b] = next;
        next += count_at(c, d)[b];
      }
    }
    tbb::parallel_for(size_t{0}, nc, [&](size_t c) {
      uint64_t* off = offsets.data() + c * kBuckets;
      const size_t end = chunks.end(c);
      for (size_t i = chunks.begin(c); i < end; ++i) {
        const uint64_t key = src_k[i];
        const uint64_t slot = off[Digit(key, d)]++;
        dst_k[slot] = key;
        dst_v[slot] = src_v[i];
      }
      report(end - chunks.begin(c));
    });
    std::swap(src_k, dst_k);
    std::swap(src_v, dst_v);
  }
  if (src_k != keys.data()) {  // An odd number of passes.
    if (result_in_scratch != nullptr) {
      *result_in_scratch = true;
    } else {
      ParallelCopy(src_k, keys.data(), n);
      ParallelCopy(src_v, values.data(), n);
    }
  }
  return static_cast<int>(passes.size());
}

}  // namespace fanout
