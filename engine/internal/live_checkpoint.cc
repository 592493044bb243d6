// Copyright 2026 The fan-out engine authors.

#include "engine/internal/live_checkpoint.h"

#include <algorithm>
#include <tuple>
#include <utility>

#include "engine/internal/live_version.h"
#include "engine/internal/live_view_state.h"
#include "oneapi/tbb/parallel_for.h"

namespace fanout {
namespace internal {
namespace {

// The first entry of `run` in [lo, hi) at or after (cell, user).
size_t LowerBoundKey(const SortedRun& run, uint64_t cell, uint64_t user) {
  size_t lo = 0, hi = run.size();
  while (lo < hi) {
    const size_t mid = lo + (hi - lo) / 2;
    if (std::tie(run.cells[mid], run.users[mid]) < std::tie(cell, user)) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return lo;
}

}  // namespace

VisibleColumns::VisibleColumns(const LiveView& view, size_t entries_per_part) : view_(view) {
  const LiveViewState* state = LiveViewAccess::State(view_);
  if (state != nullptr) {
    // The updates after the last frozen run that are visible, sorted.
    const RecordTable& records = *state->version->records;
    std::vector<std::pair<uint64_t, uint64_t>> pending;
    for (uint64_t s = state->version->pending_first_seq; s <= state->seq; ++s) {
      const UpdateRecord& r = records.at(s);
      if (!r.removed && r.superseded.load(std::memory_order_relaxed) > state->seq) {
        pending.emplace_back(r.cell, r.user);
      }
    }
    std::sort(pending.begin(), pending.end());
    pending_cells_.reserve(pending.size());
    pending_users_.reserve(pending.size());
    for (const auto& [cell, user] : pending) {
      pending_cells_.push_back(cell);
      pending_users_.push_back(user);
    }
    sources_ = state->sources;
  }
  sources_.push_back(ScanSource{SortedRun{pending_cells_, pending_users_, {}, {}}});
  // The largest first: the parts are cut by its keys, and each part merges
  // its entries with the (sorted) entries of the others.
  size_t largest = 0;
  for (size_t s = 1; s < sources_.size(); ++s) {
    if (sources_[s].run.size() > sources_[largest].run.size()) largest = s;
  }
  std::swap(sources_[0], sources_[largest]);
  const SortedRun& big = sources_[0].run;
  parts_ = std::max<size_t>(1, std::min<size_t>(big.size() / std::max<size_t>(entries_per_part, 1),
                                                size_t{1} << 14));
  cut_.assign(sources_.size(), std::vector<size_t>(parts_ + 1, 0));
  for (size_t s = 0; s < sources_.size(); ++s) cut_[s][parts_] = sources_[s].run.size();
  tbb::parallel_for(size_t{1}, parts_, [&](size_t p) {
    const size_t k = big.size() * p / parts_;
    for (size_t s = 0; s < sources_.size(); ++s) {
      cut_[s][p] = s == 0 ? k : LowerBoundKey(sources_[s].run, big.cells[k], big.users[k]);
    }
  });
}

size_t VisibleColumns::Count(size_t p) const {
  size_t n = 0;
  for (size_t s = 0; s < sources_.size(); ++s) {
    const ScanSource& src = sources_[s];
    for (size_t i = cut_[s][p]; i < cut_[s][p + 1]; ++i) n += src.Visible(i);
  }
  return n;
}

void VisibleColumns::Produce(size_t p, Emit emit) const {
  // The part's visible entries of every source but the largest, sorted
  // (each user is visible once, so no two are equal).
  std::vector<std::pair<uint64_t, uint64_t>> others;
  for (size_t s = 1; s < sources_.size(); ++s) {
    const ScanSource& src = sources_[s];
    for (size_t i = cut_[s][p]; i < cut_[s][p + 1]; ++i) {
      if (src.Visible(i)) others.emplace_back(src.run.cells[i], src.run.users[i]);
    }
  }
  std::sort(others.begin(), others.end());
  // Merged with the largest's.
  constexpr size_t kPiece = 4096;
  uint64_t cells[kPiece], users[kPiece];
  size_t k = 0;
  auto put = [&](uint64_t cell, uint64_t user) {
    cells[k] = cell;
    users[k] = user;
    if (++k == kPiece) {
      emit(cells, users, k);
      k = 0;
    }
  };
  const ScanSource& big = sources_[0];
  size_t j = 0;
  for (size_t i = cut_[0][p], end = cut_[0][p + 1]; i < end; ++i) {
    if (!big.Visible(i)) continue;
    const uint64_t cell = big.run.cells[i], user = big.run.users[i];
    while (j < others.size() && others[j] < std::make_pair(cell, user)) {
      put(others[j].first, others[j].second);
      ++j;
    }
    put(cell, user);
  }
  for (; j < others.size(); ++j) put(others[j].first, others[j].second);
  if (k > 0) emit(cells, users, k);
}

std::unique_ptr<LocationIndex> MaterialiseVisible(const LiveView& view) {
  VisibleColumns columns(view);
  const size_t parts = columns.parts();
  std::vector<size_t> at(parts + 1, 0);
  tbb::parallel_for(size_t{0}, parts, [&](size_t p) { at[p + 1] = columns.Count(p); });
  for (size_t p = 0; p < parts; ++p) at[p + 1] += at[p];
  std::vector<uint64_t> cells(at[parts]), users(at[parts]);
  tbb::parallel_for(size_t{0}, parts, [&](size_t p) {
    size_t o = at[p];
    columns.Produce(p, [&](const uint64_t* c, const uint64_t* u, size_t k) {
      std::copy(c, c + k, cells.begin() + o);
      std::copy(u, u + k, users.begin() + o);
      o += k;
    });
  });
  return LocationIndex::FromTrustedColumns(std::move(cells), std::move(users));
}

}  // namespace internal
}  // namespace fanout
