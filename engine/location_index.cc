// Copyright 2026 The fan-out engine authors.

#include "engine/location_index.h"

#include <algorithm>
#include <atomic>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "base/progress.h"
#include "oneapi/tbb/blocked_range.h"
#include "oneapi/tbb/parallel_for.h"
#include "oneapi/tbb/parallel_reduce.h"
#include "oneapi/tbb/parallel_sort.h"
#include "s2/s2cell_id.h"

namespace fanout {

std::pair<size_t, size_t> SortedRun::EqualRange(uint64_t min_leaf, uint64_t max_leaf, size_t lo,
                                                size_t hi) const {
  const uint64_t* base = cells.data();
  const uint64_t* b = std::lower_bound(base + lo, base + hi, min_leaf);
  const uint64_t* e = std::upper_bound(b, base + hi, max_leaf);
  return {static_cast<size_t>(b - base), static_cast<size_t>(e - base)};
}

namespace {

constexpr size_t kGrain = 1 << 16;

// (user id, input position): sorting these groups a user's rows in input
// order, so the last of each group is the newest location.
struct UserRow {
  uint64_t user_id;
  uint64_t position;
  bool operator<(const UserRow& o) const {
    return user_id != o.user_id ? user_id < o.user_id : position < o.position;
  }
};

struct Entry {
  uint64_t cell;
  uint64_t user;
  bool operator<(const Entry& o) const { return cell != o.cell ? cell < o.cell : user < o.user; }
};

}  // namespace

absl::StatusOr<std::unique_ptr<LocationIndex>> LocationIndex::Build(
    absl::Span<const UserRecord> rows, const BuildOptions& options, BuildStats* stats) {
  const int64_t start = absl::GetCurrentTimeNanos();
  const size_t n = rows.size();
  Progress progress("building index", 3 * n, "steps", options.show_progress);

  // 1. Validate, and find the newest row of each user.
  std::atomic<size_t> first_invalid{n};
  std::vector<UserRow> by_user(n);
  tbb::parallel_for(tbb::blocked_range<size_t>(0, n, kGrain), [&](const auto& r) {
    for (size_t i = r.begin(); i < r.end(); ++i) {
      if (!rows[i].IsValid()) {
        size_t seen = first_invalid.load();
        while (i < seen && !first_invalid.compare_exchange_weak(seen, i)) {
        }
      }
      by_user[i] = UserRow{rows[i].user_id, i};
    }
    progress.Add(r.size());
  });
  if (first_invalid.load() < n) {
    const UserRecord& bad = rows[first_invalid.load()];
    return absl::InvalidArgumentError(absl::StrCat(
        "record ", first_invalid.load(), " (user ", bad.user_id, "): location (", bad.lat(), ", ",
        bad.lng(), ") is out of range"));
  }
  tbb::parallel_sort(by_user.begin(), by_user.end());
  progress.Add(n);

  // 2. Keep the last row of each user; compute its leaf cell.
  std::vector<uint8_t> keep(n);
  size_t kept = tbb::parallel_reduce(
      tbb::blocked_range<size_t>(0, n, kGrain), size_t{0},
      [&](const auto& r, size_t acc) {
        for (size_t i = r.begin(); i < r.end(); ++i) {
          bool last = i + 1 == n || by_user[i + 1].user_id != by_user[i].user_id;
          keep[i] = last;
          acc += last;
        }
        return acc;
      },
      std::plus<size_t>());
  std::vector<Entry> entries;
  entries.reserve(kept);
  for (size_t i = 0; i < n; ++i) {
    if (keep[i]) entries.push_back(Entry{0, by_user[i].position});
  }
  std::vector<UserRow>().swap(by_user);
  std::vector<uint8_t>().swap(keep);
  tbb::parallel_for(tbb::blocked_range<size_t>(0, kept, kGrain), [&](const auto& r) {
    for (size_t i = r.begin(); i < r.end(); ++i) {
      const UserRecord& rec = rows[entries[i].user];  // .user holds the position here
      entries[i] = Entry{rec.ToCellId().id(), rec.user_id};
    }
  });

  // 3. Order by cell, then split into columns.
  tbb::parallel_sort(entries.begin(), entries.end());
  progress.Add(n);
  std::vector<uint64_t> cells(kept), users(kept);
  tbb::parallel_for(tbb::blocked_range<size_t>(0, kept, kGrain), [&](const auto& r) {
    for (size_t i = r.begin(); i < r.end(); ++i) {
      cells[i] = entries[i].cell;
      users[i] = entries[i].user;
    }
  });
  progress.Finish();
  if (stats != nullptr) {
    stats->input_rows = n;
    stats->duplicate_rows = n - kept;
    stats->seconds = (absl::GetCurrentTimeNanos() - start) * 1e-9;
  }
  return std::unique_ptr<LocationIndex>(new LocationIndex(std::move(cells), std::move(users)));
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
  return std::unique_ptr<LocationIndex>(new LocationIndex(std::move(cells), std::move(users)));
}

size_t LocationIndex::MemoryBytes() const {
  return cells_.capacity() * sizeof(uint64_t) + users_.capacity() * sizeof(uint64_t);
}

}  // namespace fanout
