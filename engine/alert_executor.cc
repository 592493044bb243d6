// Copyright 2026 The fan-out engine authors.

#include "engine/alert_executor.h"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <functional>
#include <memory>
#include <utility>

#include "absl/container/inlined_vector.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "base/status_macros.h"
#include "engine/delivery_sink.h"
#include "engine/internal/alert_executor_peer.h"
#include "engine/internal/engine_attributes.h"
#include "engine/internal/live_view_state.h"
#include "engine/internal/shard_scatter.h"
#include "geo/area_point_tester.h"
#include "geo/cell_center.h"
#include "geo/cell_classifier.h"
#include "oneapi/tbb/blocked_range.h"
#include "oneapi/tbb/enumerable_thread_specific.h"
#include "oneapi/tbb/parallel_for.h"
#include "oneapi/tbb/parallel_sort.h"
#include "oneapi/tbb/task_arena.h"
#include "s2/s2cell.h"
#include "s2/s2cell_id.h"

namespace fanout {
namespace internal {

// What an executor scans (AlertExecutor::sources_).
struct ExecutorSources {
  std::vector<ScanSource> sources;  // the index's run, or the view's runs
  uint64_t index_users = 0;
  LiveView view;  // empty over a LocationIndex
  bool live = false;
  std::shared_ptr<const LocationIndex> owned_index;  // when shared with the caller
};

struct ExecutorTestHooks {
  std::function<void()> between_passes;
};

}  // namespace internal

namespace {

using internal::ScanRange;

std::shared_ptr<const internal::ExecutorSources> SourcesOfIndex(
    const LocationIndex& index, std::shared_ptr<const LocationIndex> owned) {
  auto s = std::make_shared<internal::ExecutorSources>();
  s->sources = {internal::ScanSource{index.run()}};
  s->index_users = index.size();
  s->owned_index = std::move(owned);
  return s;
}


double MillisSince(int64_t start_ns) { return (absl::GetCurrentTimeNanos() - start_ns) * 1e-6; }

void AppendRange(std::vector<ScanRange>* out, size_t begin, size_t end, bool needs_test,
                 uint32_t source) {
  if (!out->empty() && out->back().end == begin && out->back().needs_test == needs_test &&
      out->back().source == source) {
    out->back().end = end;
  } else {
    out->push_back(ScanRange{begin, end, needs_test, source});
  }
}

// A slice [begin, end) of each source.
using Slices = absl::InlinedVector<std::pair<size_t, size_t>, 16>;

// What every PlanCell call of one plan shares.
struct PlanContext {
  absl::Span<const internal::ScanSource> sources;
  // One classifier per worker thread (a classifier keeps index iterators).
  // A worker may run another PlanCell task while it waits for its own
  // children; that is safe, since no classifier state lives from one
  // Classify call to the next except through the caller's trail.
  tbb::enumerable_thread_specific<CellClassifier>* classifiers;
  size_t refine_min_entries;
};

// A boundary cell holding more entries than this plans its four children
// as parallel tasks: the covering has few cells (32 by default) and a few
// of them, along a long coast, hold most of a nation-wide alert's
// refinement work.
constexpr size_t kParallelPlanEntries = size_t{1} << 20;

// Plans one cell of the covering over every source at once, refining
// boundary cells where the sources together are dense: the geometry (is the
// cell inside, outside or across the boundary?) is decided once per cell
// whatever the number of sources. `found` holds each source's entries in
// the cell; a refined cell splits its slices among its four children with
// three binary searches per source (the children's leaf ranges follow one
// another), not two searches per child. Ranges come out cell by cell in
// index order, sources interleaved. `trail` is what the classifier learned
// from the cell's ancestors (cell_classifier.h).
void PlanCell(const PlanContext& ctx, S2CellId id, bool interior, const Slices& found,
              const CellClassifier::Trail& trail, std::vector<ScanRange>* out) {
  const auto& sources = ctx.sources;
  size_t total = 0;
  for (const auto& [begin, end] : found) total += end - begin;
  if (total == 0) return;
  auto emit = [&](bool needs_test) {
    for (size_t s = 0; s < sources.size(); ++s) {
      if (found[s].first < found[s].second) {
        AppendRange(out, found[s].first, found[s].second, needs_test, static_cast<uint32_t>(s));
      }
    }
  };
  if (interior) return emit(false);
  if (total <= ctx.refine_min_entries || id.is_leaf()) return emit(true);
  CellClassifier::Trail learned = trail;
  switch (ctx.classifiers->local().Classify(S2Cell(id), &learned)) {
    case CellClassifier::Relation::kInside:
      return emit(false);
    case CellClassifier::Relation::kOutside:
      return;
    case CellClassifier::Relation::kBoundary:
      break;
  }
  Slices children[4];
  for (Slices& c : children) c.resize(sources.size());
  for (size_t s = 0; s < sources.size(); ++s) {
    size_t begin = found[s].first;
    for (int k = 0; k < 3; ++k) {
      size_t split = sources[s].run.LowerBound(id.child(k + 1).range_min().id(), begin,
                                               found[s].second);
      children[k][s] = {begin, split};
      begin = split;
    }
    children[3][s] = {begin, found[s].second};
  }
  if (total < kParallelPlanEntries) {
    for (int k = 0; k < 4; ++k) PlanCell(ctx, id.child(k), false, children[k], learned, out);
    return;
  }
  std::vector<ScanRange> parts[4];
  tbb::parallel_for(0, 4, [&](int k) {
    PlanCell(ctx, id.child(k), false, children[k], learned, &parts[k]);
  });
  for (const auto& part : parts) {
    for (const ScanRange& r : part) AppendRange(out, r.begin, r.end, r.needs_test, r.source);
  }
}

// Per-thread, per-shard buffers, merged once per shard at the end (workers
// never share a growing vector). Only the brute-force reference uses it: it
// is deliberately a different algorithm from the engine's ScatterByShard.
class ShardedCollector {
 public:
  explicit ShardedCollector(const ShardPolicy& policy)
      : policy_(policy),
        buffers_([n = policy.shards()] { return std::vector<UserIdList>(n); }) {}

  std::vector<UserIdList>& Local() { return buffers_.local(); }

  DeliveryLists Merge() {
    DeliveryLists lists;
    const uint32_t shards = policy_.shards();
    lists.shards.resize(shards);
    std::vector<std::vector<UserIdList>*> parts;
    for (auto& local : buffers_) parts.push_back(&local);
    tbb::parallel_for(tbb::blocked_range<uint32_t>(0, shards), [&](const auto& r) {
      for (uint32_t s = r.begin(); s < r.end(); ++s) {
        UserIdList& out = lists.shards[s];
        if (parts.size() == 1) {  // One worker: hand its buffer over, no copy.
          out = std::move((*parts[0])[s]);
          continue;
        }
        size_t total = 0;
        for (auto* p : parts) total += (*p)[s].size();
        out.reserve(total);
        for (auto* p : parts) {
          out.insert(out.end(), (*p)[s].begin(), (*p)[s].end());
          UserIdList().swap((*p)[s]);
        }
      }
    });
    return lists;
  }

 private:
  const ShardPolicy& policy_;
  tbb::enumerable_thread_specific<std::vector<UserIdList>> buffers_;
};

// Sorts every list (and its cells) by distance from `origin`, nearest
// first, ties in index order (cell, then user id); lists in parallel, and
// a long list's keys and sort in parallel too (an alert with few shards
// has few, long lists). The key is the squared chord length's bit
// pattern: for doubles >= 0 it orders as the value does, so the sort
// compares integers.
void SortNearest(const S2Point& origin, DeliveryLists* lists, std::vector<UserIdList>* cells,
                 std::vector<UserIdList>* positions) {
  struct Entry {
    uint64_t key;  // bits of the squared chord length: monotone in the distance
    uint64_t at;   // position in the list (index order)
    bool operator<(const Entry& o) const { return key != o.key ? key < o.key : at < o.at; }
  };
  constexpr size_t kGrain = size_t{1} << 14;
  tbb::parallel_for(tbb::blocked_range<size_t>(0, lists->shards.size(), 1), [&](const auto& r) {
    std::vector<Entry> entries;
    UserIdList users_copy, cells_copy, positions_copy;
    for (size_t s = r.begin(); s < r.end(); ++s) {
      UserIdList& users = lists->shards[s];
      UserIdList& where = (*cells)[s];
      const size_t n = users.size();
      entries.resize(n);
      tbb::parallel_for(tbb::blocked_range<size_t>(0, n, kGrain), [&](const auto& part) {
        for (size_t i = part.begin(); i < part.end(); ++i) {
          const double chord2 = (CellCenter(S2CellId(where[i])) - origin).Norm2();
          uint64_t bits;
          std::memcpy(&bits, &chord2, sizeof(bits));
          entries[i] = {bits, i};
        }
      });
      if (n > kGrain) {
        tbb::parallel_sort(entries.begin(), entries.end());
      } else {
        std::sort(entries.begin(), entries.end());
      }
      users_copy.assign(users.begin(), users.end());
      cells_copy.assign(where.begin(), where.end());
      for (size_t i = 0; i < n; ++i) {
        users[i] = users_copy[entries[i].at];
        where[i] = cells_copy[entries[i].at];
      }
      if (positions != nullptr) {
        UserIdList& at = (*positions)[s];
        positions_copy.assign(at.begin(), at.end());
        for (size_t i = 0; i < n; ++i) at[i] = positions_copy[entries[i].at];
      }
    }
  });
}

// How many users ahead SplitByInfo asks for the language code it will
// read: a list's positions rise by hundreds of entries at a time (one user
// in `shards`), a cache miss each (bench/README.md, "User attributes").
constexpr size_t kAttributePrefetch = 16;

// Counts, over the entries of `slices` (grouped in `items`) that lie in
// `area`, those whose updated_at is known and before `cutoff` (left out by
// the kFresh filter of the scan) and those without one (kept). One
// sequential pass over the column for untested slices; a point test only
// for the stale or unknown entries of tested slices.
void CountFreshness(const internal::ScanSource& src, const std::vector<ScanRange>& slices,
                    const std::vector<internal::WorkItem>& items, const AlertArea& area,
                    uint64_t* stale_out, uint64_t* unknown_out) {
  std::atomic<uint64_t> stale{0}, unknown{0};
  const uint32_t* updated = src.updated_at;
  // A cutoff of 0 makes nobody stale; 1 is the same (no updated_at is < 1
  // but 0, which means unknown), and keeps the arithmetic below exact.
  const uint64_t cutoff = std::max<uint64_t>(src.fresh_cutoff, 1);
  const uint64_t* cells = src.run.cells.data();
  tbb::parallel_for(tbb::blocked_range<size_t>(0, items.size(), 1), [&](const auto& r) {
    AreaPointTester tester(area);
    uint64_t stale_here = 0, unknown_here = 0;
    for (size_t w = r.begin(); w < r.end(); ++w) {
      for (size_t k = items[w].first; k < items[w].last; ++k) {
        const ScanRange& slice = slices[k];
        if (!slice.needs_test) {
          // Without branches (half the users may be stale, in no order):
          // for t >= 1, t - 1 < cutoff - 1 exactly when t < cutoff; t = 0
          // wraps to the top. REQUIRES: cutoff >= 1 (made so above).
          for (size_t i = slice.begin; i < slice.end; ++i) {
            const uint64_t t = updated[i];
            unknown_here += t == 0;
            stale_here += t - 1 < cutoff - 1;
          }
          continue;
        }
        for (size_t i = slice.begin; i < slice.end; ++i) {
          const uint32_t t = updated[i];
          if (t != 0 && t >= cutoff) continue;  // known and fresh: not counted
          if (!tester.Contains(S2CellId(cells[i]))) continue;
          (t == 0 ? unknown_here : stale_here) += 1;
        }
      }
    }
    stale += stale_here;
    unknown += unknown_here;
  });
  *stale_out = stale.load();
  *unknown_out = unknown.load();
}

// Splits the lists by info block (MatchInfoBlock of each user's language)
// into `by_info`, keeping each list's order, and counts the users by block
// and language. `attrs` null or without a lang column: everyone gets
// block 0.
void SplitByInfo(const UserAttributes* attrs, absl::Span<const std::string> info_languages,
                 const DeliveryLists& lists, const std::vector<UserIdList>& positions,
                 std::vector<DeliveryLists>* by_info, std::vector<AlertSummary::InfoCount>* counts) {
  const size_t blocks = info_languages.size();
  const size_t shards = lists.shards.size();
  const bool with_lang = attrs != nullptr && attrs->has_lang();
  const absl::Span<const std::string> languages =
      with_lang ? absl::MakeConstSpan(attrs->languages()) : absl::Span<const std::string>();
  const std::vector<uint32_t> block_of = internal::InfoBlockOfCodes(languages, info_languages);
  by_info->resize(blocks);
  for (DeliveryLists& b : *by_info) b.shards.resize(shards);
  std::vector<uint64_t> code_counts(shards * 256, 0);
  tbb::parallel_for(tbb::blocked_range<size_t>(0, shards, 1), [&](const auto& r) {
    std::vector<uint64_t> in_block(blocks);
    for (size_t s = r.begin(); s < r.end(); ++s) {
      const UserIdList& users = lists.shards[s];
      uint64_t* count = code_counts.data() + s * 256;
      if (!with_lang) {
        (*by_info)[0].shards[s].assign(users.begin(), users.end());
        for (size_t k = 1; k < blocks; ++k) (*by_info)[k].shards[s].clear();
        count[0] = users.size();
        continue;
      }
      const uint8_t* lang = attrs->lang().data();
      const UserIdList& at = positions[s];
      const size_t n = users.size();
      for (size_t i = 0; i < n; ++i) {
        if (i + kAttributePrefetch < n) __builtin_prefetch(lang + at[i + kAttributePrefetch]);
        ++count[lang[at[i]]];
      }
      std::fill(in_block.begin(), in_block.end(), 0);
      for (size_t c = 0; c < 256; ++c) in_block[block_of[c]] += count[c];
      std::vector<uint64_t*> out(blocks);
      for (size_t k = 0; k < blocks; ++k) {
        UserIdList& list = (*by_info)[k].shards[s];
        list.clear();
        list.resize(in_block[k]);
        out[k] = list.data();
      }
      for (size_t i = 0; i < users.size(); ++i) *out[block_of[lang[at[i]]]]++ = users[i];
    }
  });
  *counts = internal::InfoCountsOf(code_counts, shards, block_of, languages, info_languages);
}

}  // namespace

absl::Status AlertExecutor::Options::Validate() const {
  if (shards < 1 || shards > ShardPolicy::kMaxShards) {
    return absl::InvalidArgumentError(
        absl::StrCat("shards must be in 1..", ShardPolicy::kMaxShards, ", got ", shards));
  }
  if (refine_min_entries < 1) return absl::InvalidArgumentError("refine_min_entries must be >= 1");
  if (chunk_entries < 1) return absl::InvalidArgumentError("chunk_entries must be >= 1");
  if (order_origin.has_value() && !order_origin->is_valid()) {
    return absl::InvalidArgumentError("order_origin is not a valid latitude and longitude");
  }
  if (max_age_s < 0) return absl::InvalidArgumentError("max_age_s must be >= 0");
  if (max_age_s > 0 && as_of_unix_s <= 0) {
    return absl::InvalidArgumentError("max_age_s needs as_of_unix_s, the alert's time");
  }
  return covering.Validate();
}

AlertExecutor::AlertExecutor(const LocationIndex& index, Options options)
    : sources_(SourcesOfIndex(index, nullptr)), options_(std::move(options)) {}

AlertExecutor::AlertExecutor(std::shared_ptr<const LocationIndex> index, Options options)
    : sources_(SourcesOfIndex(*index, index)), options_(std::move(options)) {}

AlertExecutor::AlertExecutor(LiveView view, Options options) : options_(std::move(options)) {
  auto s = std::make_shared<internal::ExecutorSources>();
  if (const internal::LiveViewState* state = internal::LiveViewAccess::State(view)) {
    s->sources = state->sources;
  }
  s->index_users = view.base_entries();
  s->view = std::move(view);
  s->live = true;
  sources_ = std::move(s);
}

namespace {

// The plan of an alert over `sources`: see AlertExecutorPeer::Plan.
std::vector<ScanRange> PlanSources(absl::Span<const internal::ScanSource> sources,
                                   const AlertArea& area, const AreaCovering& covering,
                                   size_t refine_min_entries) {
  // The interior and boundary cells, merged in cell order (they are disjoint).
  struct PlanCellRef {
    S2CellId id;
    bool interior;
  };
  std::vector<PlanCellRef> cells;
  cells.reserve(covering.interior.num_cells() + covering.boundary.num_cells());
  for (S2CellId id : covering.interior) cells.push_back({id, true});
  for (S2CellId id : covering.boundary) cells.push_back({id, false});
  std::sort(cells.begin(), cells.end(),
            [](const PlanCellRef& a, const PlanCellRef& b) { return a.id < b.id; });

  // One task per cell, over all sources; then the ranges source by source,
  // each source's in index order (cells are in order, and so are the
  // ranges within a cell).
  const size_t n_cells = cells.size();
  std::vector<std::vector<ScanRange>> per_cell(n_cells);
  tbb::enumerable_thread_specific<CellClassifier> classifiers([&area] { return CellClassifier(area); });
  const PlanContext ctx{sources, &classifiers, refine_min_entries};
  const CellClassifier::Trail root = classifiers.local().Root();
  tbb::parallel_for(tbb::blocked_range<size_t>(0, n_cells), [&](const auto& r) {
    for (size_t k = r.begin(); k < r.end(); ++k) {
      const S2CellId id = cells[k].id;
      Slices found(sources.size());
      for (size_t s = 0; s < sources.size(); ++s) {
        found[s] = sources[s].run.EqualRange(id.range_min().id(), id.range_max().id(), 0,
                                             sources[s].run.size());
      }
      PlanCell(ctx, id, cells[k].interior, found, root, &per_cell[k]);
    }
  });
  // A counting sort by source keeps each source's ranges in cell order.
  std::vector<size_t> at(sources.size() + 1, 0);
  for (const auto& ranges : per_cell) {
    for (const ScanRange& r : ranges) ++at[r.source + 1];
  }
  for (size_t s = 0; s < sources.size(); ++s) at[s + 1] += at[s];
  std::vector<ScanRange> by_source(at.back());
  for (const auto& ranges : per_cell) {
    for (const ScanRange& r : ranges) by_source[at[r.source]++] = r;
  }
  std::vector<ScanRange> plan;
  for (const ScanRange& r : by_source) AppendRange(&plan, r.begin, r.end, r.needs_test, r.source);
  return plan;
}

}  // namespace

namespace internal {

std::vector<ScanRange> AlertExecutorPeer::Plan(const AlertExecutor& executor,
                                               const AlertArea& area,
                                               const AreaCovering& covering) {
  return PlanSources(executor.sources_->sources, area, covering,
                     executor.options_.refine_min_entries);
}

void AlertExecutorPeer::SetBetweenPassesHook(AlertExecutor& executor, std::function<void()> hook) {
  std::shared_ptr<const ExecutorTestHooks> hooks;
  if (hook) hooks = std::make_shared<const ExecutorTestHooks>(ExecutorTestHooks{std::move(hook)});
  std::atomic_store(&executor.test_hooks_, std::move(hooks));
}

}  // namespace internal

absl::StatusOr<DeliveryLists> AlertExecutor::Execute(const AlertArea& area,
                                                     AlertSummary* summary) const {
  DeliveryLists lists;
  RETURN_IF_ERROR(Execute(area, &lists, summary));
  return lists;
}

absl::Status AlertExecutor::Execute(const AlertArea& area, DeliveryLists* out,
                                    AlertSummary* summary) const {
  return Execute(area, out, summary, Extras{});
}

absl::Status AlertExecutor::Execute(const AlertArea& area, DeliveryLists* out,
                                    AlertSummary* summary, const Extras& extras) const {
  RETURN_IF_ERROR(options_.Validate());
  ASSIGN_OR_RETURN(ShardPolicy policy, ShardPolicy::Create(options_.shards, options_.shard_policy));
  const internal::ExecutorSources& own = *sources_;
  const internal::LiveViewState* view = internal::LiveViewAccess::State(own.view);
  const UserAttributes* attrs = options_.attributes.get();
  if (attrs != nullptr && own.live) {
    return absl::FailedPreconditionError(
        "user attributes apply to a static index; the live index keeps none");
  }
  if (attrs != nullptr && attrs->size() != own.index_users) {
    return absl::InvalidArgumentError(absl::StrCat("attributes for ", attrs->size(),
                                                   " users, but the index has ",
                                                   own.index_users));
  }
  const bool max_age = options_.max_age_s > 0;
  const bool by_info = !options_.info_languages.empty();
  // Entry positions beside the lists only when an attribute is read.
  const bool need_positions = attrs != nullptr && by_info && attrs->has_lang();
  // A maximum age over attributes is a filter of the scan itself (kFresh).
  const bool fresh_filter = max_age && attrs != nullptr && attrs->has_updated_at();
  // A live index's background work waits while alerts run (live_index.h).
  internal::AlertActivity::Scope running(view != nullptr ? view->activity.get() : nullptr);
  const std::shared_ptr<const internal::ExecutorTestHooks> hooks = std::atomic_load(&test_hooks_);

  int64_t t0 = absl::GetCurrentTimeNanos();
  AreaCovering covering = CoverArea(area, options_.covering);
  double cover_ms = MillisSince(t0);

  int64_t t1 = absl::GetCurrentTimeNanos();
  // A view's newest updates are not in a sorted run yet: gather those the
  // covering may hold into a run of their own, for this alert only.
  std::vector<internal::ScanSource> sources = own.sources;
  if (fresh_filter) {
    // Attributes come only with a LocationIndex: one source, every entry.
    internal::ScanSource& src = sources.front();
    src.filter = internal::ScanSource::Filter::kFresh;
    src.updated_at = attrs->updated_at().data();
    src.fresh_cutoff =
        static_cast<uint64_t>(std::max<int64_t>(0, options_.as_of_unix_s - options_.max_age_s));
  }
  internal::PendingRun pending;
  if (view != nullptr) {
    pending = internal::GatherPending(*view, covering);
    if (pending.size() > 0) sources.push_back(pending.source());
  }
  std::vector<ScanRange> plan = PlanSources(sources, area, covering, options_.refine_min_entries);
  uint64_t interior_entries = 0, tested_entries = 0;
  for (const ScanRange& r : plan) (r.needs_test ? tested_entries : interior_entries) += r.end - r.begin;
  const int threads = tbb::this_task_arena::max_concurrency();
  size_t total = interior_entries + tested_entries;
  size_t chunk = std::min<size_t>(options_.chunk_entries,
                                  std::max<size_t>(4096, total / (8 * size_t(threads))));
  // Pass 1 of the scatter keeps a count per (work item, shard): bound that
  // table to 16M counters by making items larger when shards are many.
  chunk = std::max<size_t>(chunk, total * options_.shards / (size_t{1} << 24) + 1);
  std::vector<ScanRange> slices;
  std::vector<internal::WorkItem> items;
  internal::SplitWork(plan, chunk, &slices, &items);
  double plan_ms = MillisSince(t1);

  int64_t t2 = absl::GetCurrentTimeNanos();
  DeliveryLists& lists = *out;
  static const std::function<void()> kNoHook;
  // Cells beside the lists only when someone needs them: the caller, or
  // the nearest-first ordering.
  const bool nearest = options_.order == DeliveryOrder::kNearest;
  std::vector<UserIdList> own_cells;
  std::vector<UserIdList>* cells = extras.cells != nullptr ? extras.cells
                                   : nearest               ? &own_cells
                                                           : nullptr;
  std::vector<UserIdList> positions;
  internal::ScatterByShard(sources, slices, items, area, policy, &lists,
                           hooks != nullptr ? hooks->between_passes : kNoHook, cells,
                           need_positions ? &positions : nullptr);
  uint64_t stale = 0, unknown_age = 0;
  if (fresh_filter) {
    CountFreshness(sources.front(), slices, items, area, &stale, &unknown_age);
  } else if (max_age) {
    unknown_age = lists.total();
  }
  double order_ms = 0;
  S2LatLng origin;
  if (nearest) {
    const int64_t t3 = absl::GetCurrentTimeNanos();
    origin = options_.order_origin.has_value() ? *options_.order_origin : IncidentPoint(area);
    SortNearest(origin.ToPoint(), &lists, cells, need_positions ? &positions : nullptr);
    order_ms = MillisSince(t3);
  }
  std::vector<AlertSummary::InfoCount> info_counts;
  if (by_info) {
    std::vector<DeliveryLists> own_by_info;
    SplitByInfo(attrs, options_.info_languages, lists, positions,
                extras.by_info != nullptr ? extras.by_info : &own_by_info, &info_counts);
  }
  double scan_ms = MillisSince(t2);

  if (summary != nullptr) {
    summary->shards = options_.shards;
    summary->per_shard.resize(lists.shards.size());
    summary->matched = 0;
    for (size_t s = 0; s < lists.shards.size(); ++s) {
      summary->per_shard[s] = lists.shards[s].size();
      summary->matched += lists.shards[s].size();
    }
    summary->index_users = own.index_users;
    if (own.live) summary->view_seq = own.view.seq();
    summary->sorted_runs = static_cast<uint32_t>(sources.size());
    summary->covering_interior_cells = covering.interior.num_cells();
    summary->covering_boundary_cells = covering.boundary.num_cells();
    summary->covering_interior_cut_short = covering.interior_cut_short;
    summary->ranges = plan.size();
    summary->interior_entries = interior_entries;
    summary->tested_entries = tested_entries;
    summary->worker_threads = threads;
    summary->timings.cover_ms = cover_ms;
    summary->timings.plan_ms = plan_ms;
    summary->timings.scan_ms = scan_ms;
    summary->order = options_.order;
    summary->order_ms = order_ms;
    summary->origin_lat_deg = nearest ? origin.lat().degrees() : 0;
    summary->origin_lng_deg = nearest ? origin.lng().degrees() : 0;
    summary->max_age_applied = max_age;
    summary->max_age_s = options_.max_age_s;
    summary->as_of_unix_s = max_age ? options_.as_of_unix_s : 0;
    summary->stale_skipped = stale;
    summary->unknown_age_kept = unknown_age;
    summary->by_info = std::move(info_counts);
  }
  if (extras.covering != nullptr) *extras.covering = std::move(covering);
  return absl::OkStatus();
}

absl::Status AlertExecutor::Execute(const AlertArea& area, DeliverySink& sink,
                                    AlertSummary* summary) const {
  AlertSummary local_summary;
  AlertSummary* s = summary != nullptr ? summary : &local_summary;
  DeliveryLists lists;
  std::vector<DeliveryLists> by_info;
  Extras extras;
  if (!options_.info_languages.empty()) extras.by_info = &by_info;
  RETURN_IF_ERROR(Execute(area, &lists, s, extras));
  int64_t t = absl::GetCurrentTimeNanos();
  if (!options_.info_languages.empty()) {
    RETURN_IF_ERROR(sink.DeliverByInfo(lists, by_info, *s));
  } else {
    RETURN_IF_ERROR(sink.Deliver(lists, *s));
  }
  s->timings.emit_ms = MillisSince(t);
  return absl::OkStatus();
}

S2LatLng IncidentPoint(const AlertArea& area) {
  if (area.num_polygons() == 0 && area.num_caps() == 1) return S2LatLng(area.cap(0).center());
  S2Point sum;  // each part's centroid is scaled by its area (s2polygon.h, s2cap.h)
  for (int i = 0; i < area.num_polygons(); ++i) sum += area.polygon(i).GetCentroid();
  for (int i = 0; i < area.num_caps(); ++i) sum += area.cap(i).GetCentroid();
  if (sum.Norm2() < 1e-30) return S2LatLng(area.GetCapBound().center());
  return S2LatLng(sum.Normalize());
}

DeliveryLists BruteForceScan(const LocationIndex& index, const AlertArea& area,
                             const ShardPolicy& policy) {
  const SortedRun run = index.run();
  ShardedCollector collector(policy);
  tbb::parallel_for(tbb::blocked_range<size_t>(0, run.size(), 1 << 14), [&](const auto& r) {
    // The reference deliberately uses AlertArea::Contains, not the tester.
    auto& local = collector.Local();
    const uint64_t* cells = run.cells.data();
    const uint64_t* users = run.users.data();
    for (size_t i = r.begin(); i < r.end(); ++i) {
      if (area.Contains(S2CellId(cells[i]).ToPoint())) {
        local[policy.ShardOf(users[i])].push_back(users[i]);
      }
    }
  });
  return collector.Merge();
}

}  // namespace fanout
