// Copyright 2026 The fan-out engine authors.

#include "engine/location_index.h"

#include <algorithm>
#include <atomic>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "base/progress.h"
#include "engine/radix_sort.h"
#include "engine/shard_policy.h"
#include "oneapi/tbb/blocked_range.h"
#include "oneapi/tbb/parallel_for.h"
#include "oneapi/tbb/parallel_reduce.h"
#include "oneapi/tbb/parallel_sort.h"
#include "s2/s2cell_id.h"

namespace fanout {

size_t SortedRun::LowerBound(uint64_t leaf, size_t lo, size_t hi) const {
  const uint64_t* base = cells.data();
  return static_cast<size_t>(std::lower_bound(base + lo, base + hi, leaf) - base);
}

std::pair<size_t, size_t> SortedRun::EqualRange(uint64_t min_leaf, uint64_t max_leaf, size_t lo,
                                                size_t hi) const {
  // A leaf id is never the largest uint64_t (face bits 101 at most), so
  // max_leaf + 1 does not wrap: the entries <= max_leaf end where those
  // >= max_leaf + 1 begin.
  const size_t begin = LowerBound(min_leaf, lo, hi);
  return {begin, LowerBound(max_leaf + 1, begin, hi)};
}

namespace {

constexpr size_t kGrain = 1 << 16;

// Both columns of an index that owns them: vectors handed to FromColumns,
// or the huge-page columns Build sorts in.
struct OwnedColumns {
  std::vector<uint64_t> cells;
  std::vector<uint64_t> users;
};
struct BuiltColumns {
  U64Column cells;
  U64Column users;
};

void ParallelCopy(const uint64_t* from, uint64_t* to, size_t n) {
  tbb::parallel_for(tbb::blocked_range<size_t>(0, n, size_t{1} << 20), [&](const auto& r) {
    std::copy(from + r.begin(), from + r.end(), to + r.begin());
  });
}

void AddProgress(void* context, uint64_t entries) {
  static_cast<Progress*>(context)->Add(entries);
}

// A leaf cell id: a valid face (0..5) and the lowest bit set.
inline bool IsLeafCell(uint64_t id) { return (id & 1) != 0 && (id >> 61) < 6; }

}  // namespace

LocationIndex::LocationIndex(absl::Span<const uint64_t> cells, absl::Span<const uint64_t> users,
                             std::shared_ptr<const void> owner, size_t memory_bytes,
                             absl::Span<const uint8_t> given_mix_low)
    : cells_(cells),
      users_(users),
      owner_(std::move(owner)),
      // Not value-initialized: every byte is written below.
      mix_low_column_(given_mix_low.empty() && !users.empty() ? new uint8_t[users.size()]
                                                             : nullptr),
      mix_low_(mix_low_column_ != nullptr ? absl::Span<const uint8_t>(mix_low_column_.get(),
                                                                      users.size())
                                          : given_mix_low),
      mix_low_blocks_(users.size() / SortedRun::kMixBlock * 256),
      memory_bytes_(memory_bytes + users.size() + mix_low_blocks_.size() * sizeof(uint16_t)) {
  // In units of blocks, so that each block's bytes and counts are one
  // task's (the last block may be partial: bytes, no counts).
  constexpr size_t kBlock = SortedRun::kMixBlock;
  uint8_t* const out = mix_low_column_.get();  // null: the bytes were given
  const uint8_t* const mix = mix_low_.data();
  uint16_t* blocks = mix_low_blocks_.data();
  const size_t n = users.size();
  const size_t whole_blocks = n / kBlock, all_blocks = (n + kBlock - 1) / kBlock;
  tbb::parallel_for(tbb::blocked_range<size_t>(0, all_blocks, kGrain / kBlock), [&](const auto& r) {
    for (size_t b = r.begin(); b < r.end(); ++b) {
      const size_t end = std::min(n, (b + 1) * kBlock);
      if (out != nullptr) {
        for (size_t i = b * kBlock; i < end; ++i) out[i] = static_cast<uint8_t>(Mix64(users[i]));
      }
      if (b >= whole_blocks) continue;
      uint16_t* count = blocks + b * 256;
      for (size_t i = b * kBlock; i < end; ++i) ++count[mix[i]];
    }
  });
}

std::unique_ptr<LocationIndex> LocationIndex::Own(std::vector<uint64_t> cells,
                                                  std::vector<uint64_t> users) {
  auto owned = std::make_shared<OwnedColumns>();
  owned->cells = std::move(cells);
  owned->users = std::move(users);
  size_t bytes = (owned->cells.capacity() + owned->users.capacity()) * sizeof(uint64_t);
  absl::Span<const uint64_t> c(owned->cells), u(owned->users);
  return std::unique_ptr<LocationIndex>(new LocationIndex(c, u, std::move(owned), bytes));
}

std::unique_ptr<LocationIndex> LocationIndex::FromTrustedColumns(absl::Span<const uint64_t> cells,
                                                                 absl::Span<const uint64_t> users,
                                                                 std::shared_ptr<const void> owner) {
  const size_t bytes = (cells.size() + users.size()) * sizeof(uint64_t);
  return std::unique_ptr<LocationIndex>(new LocationIndex(cells, users, std::move(owner), bytes));
}

std::unique_ptr<LocationIndex> LocationIndex::FromTrustedColumns(absl::Span<const uint64_t> cells,
                                                                 absl::Span<const uint64_t> users,
                                                                 absl::Span<const uint8_t> mix_low,
                                                                 std::shared_ptr<const void> owner) {
  const size_t bytes = (cells.size() + users.size()) * sizeof(uint64_t);
  return std::unique_ptr<LocationIndex>(
      new LocationIndex(cells, users, std::move(owner), bytes, mix_low));
}

absl::StatusOr<std::unique_ptr<LocationIndex>> LocationIndex::Build(
    absl::Span<const UserRecord> rows, const BuildOptions& options, BuildStats* stats) {
  const int64_t start = absl::GetCurrentTimeNanos();
  const size_t n = rows.size();
  // Work units: the cell computation (weighted as the slowest step) and up
  // to 8 passes of each radix sort; an estimate, good enough for progress.
  Progress progress("building index", 20 * uint64_t{n}, "steps", options.show_progress);
  RadixSortOptions sort_options;
  sort_options.progress = options.show_progress ? &AddProgress : nullptr;
  sort_options.progress_context = &progress;

  // 1. Validate, and compute each row's leaf cell in input order (the
  // costly part: trigonometry per row; sequential reads, all cores).
  std::atomic<size_t> first_invalid{n};
  // Uninitialised huge-page columns, first touched here by all workers.
  U64Column users(n), cells(n);
  tbb::parallel_for(tbb::blocked_range<size_t>(0, n, kGrain), [&](const auto& r) {
    for (size_t i = r.begin(); i < r.end(); ++i) {
      users[i] = rows[i].user_id;
      if (!rows[i].IsValid()) {
        cells[i] = 0;
        size_t seen = first_invalid.load();
        while (i < seen && !first_invalid.compare_exchange_weak(seen, i)) {
        }
        continue;
      }
      cells[i] = rows[i].ToCellId().id();
    }
    progress.Add(4 * r.size());
  });
  if (first_invalid.load() < n) {
    const UserRecord& bad = rows[first_invalid.load()];
    return absl::InvalidArgumentError(absl::StrCat(
        "record ", first_invalid.load(), " (user ", bad.user_id, "): location (", bad.lat(), ", ",
        bad.lng(), ") is out of range"));
  }
  const int64_t cells_done = absl::GetCurrentTimeNanos();

  // 2. Group rows by user; the sort is stable, so a user's rows stay in
  // input order and the last of each group is the newest location. The
  // scratch columns serve both sorts; when a sort ends in them, the roles
  // swap instead of copying.
  U64Column scratch_a(n), scratch_b(n);
  bool in_scratch = false;
  RadixSortPairs(users.span(), cells.span(), scratch_a.span(), scratch_b.span(), &in_scratch,
                 sort_options);
  if (in_scratch) {
    std::swap(users, scratch_a);
    std::swap(cells, scratch_b);
  }

  // 3. Superseded rows get cell 0 (not a leaf cell, so they sort first).
  size_t kept = tbb::parallel_reduce(
      tbb::blocked_range<size_t>(0, n, kGrain), size_t{0},
      [&](const auto& r, size_t acc) {
        for (size_t i = r.begin(); i < r.end(); ++i) {
          if (i + 1 < n && users[i + 1] == users[i]) {
            cells[i] = 0;
          } else {
            ++acc;
          }
        }
        return acc;
      },
      std::plus<size_t>());

  // 4. Stable sort by cell: entries were in user order, so they come out in
  // (cell, user) order; superseded rows gather at the front and are cut.
  RadixSortPairs(cells.span(), users.span(), scratch_a.span(), scratch_b.span(), &in_scratch,
                 sort_options);
  if (in_scratch) {
    std::swap(cells, scratch_a);
    std::swap(users, scratch_b);
  }
  scratch_a = U64Column();
  scratch_b = U64Column();
  const size_t dropped = n - kept;
  if (dropped > 0) {  // Right-sized copies: 16 bytes per kept user (and its hash byte).
    U64Column kept_cells(kept), kept_users(kept);
    ParallelCopy(cells.data() + dropped, kept_cells.data(), kept);
    ParallelCopy(users.data() + dropped, kept_users.data(), kept);
    cells = std::move(kept_cells);
    users = std::move(kept_users);
  }
  progress.Finish();
  if (stats != nullptr) {
    stats->input_rows = n;
    stats->duplicate_rows = dropped;
    stats->seconds = (absl::GetCurrentTimeNanos() - start) * 1e-9;
    stats->cell_seconds = (cells_done - start) * 1e-9;
    stats->sort_seconds = stats->seconds - stats->cell_seconds;
  }
  auto built = std::make_shared<BuiltColumns>();
  built->cells = std::move(cells);
  built->users = std::move(users);
  absl::Span<const uint64_t> c(built->cells.data(), kept), u(built->users.data(), kept);
  return std::unique_ptr<LocationIndex>(
      new LocationIndex(c, u, std::move(built), 2 * kept * sizeof(uint64_t)));
}

absl::StatusOr<std::unique_ptr<LocationIndex>> LocationIndex::FromColumns(
    std::vector<uint64_t> cells, std::vector<uint64_t> users) {
  if (cells.size() != users.size()) {
    return absl::InvalidArgumentError(absl::StrCat("column sizes differ: ", cells.size(),
                                                   " cells, ", users.size(), " users"));
  }
  for (size_t i = 0; i < cells.size(); ++i) {
    S2CellId id(cells[i]);
    if (!id.is_valid() || !id.is_leaf()) {
      return absl::InvalidArgumentError(absl::StrCat("entry ", i, ": not a leaf cell id"));
    }
    if (i > 0 && !(cells[i - 1] < cells[i] || (cells[i - 1] == cells[i] && users[i - 1] < users[i]))) {
      return absl::InvalidArgumentError(
          absl::StrCat("entry ", i, ": columns are not sorted by (cell, user)"));
    }
  }
  // Unique users: a user in two cells would be delivered twice.
  std::vector<uint64_t> sorted_users = users;
  tbb::parallel_sort(sorted_users.begin(), sorted_users.end());
  auto dup = std::adjacent_find(sorted_users.begin(), sorted_users.end());
  if (dup != sorted_users.end()) {
    return absl::InvalidArgumentError(absl::StrCat("user ", *dup, " appears more than once"));
  }
  return Own(std::move(cells), std::move(users));
}

absl::StatusOr<std::unique_ptr<LocationIndex>> LocationIndex::FromBorrowedColumns(
    absl::Span<const uint64_t> cells, absl::Span<const uint64_t> users,
    std::shared_ptr<const void> owner) {
  if (cells.size() != users.size()) {
    return absl::InvalidArgumentError(absl::StrCat("column sizes differ: ", cells.size(),
                                                   " cells, ", users.size(), " users"));
  }
  const size_t n = cells.size();
  std::atomic<size_t> first_bad{n};
  tbb::parallel_for(tbb::blocked_range<size_t>(0, n, kGrain), [&](const auto& r) {
    for (size_t i = r.begin(); i < r.end(); ++i) {
      bool ok = IsLeafCell(cells[i]) &&
                (i == 0 || cells[i - 1] < cells[i] ||
                 (cells[i - 1] == cells[i] && users[i - 1] < users[i]));
      if (!ok) {
        size_t seen = first_bad.load();
        while (i < seen && !first_bad.compare_exchange_weak(seen, i)) {
        }
        return;
      }
    }
  });
  if (first_bad.load() < n) {
    size_t i = first_bad.load();
    return absl::InvalidArgumentError(
        absl::StrCat("entry ", i,
                     IsLeafCell(cells[i]) ? ": columns are not sorted by (cell, user)"
                                          : ": not a leaf cell id"));
  }
  const size_t bytes = 2 * n * sizeof(uint64_t);
  return std::unique_ptr<LocationIndex>(new LocationIndex(cells, users, std::move(owner), bytes));
}

}  // namespace fanout
