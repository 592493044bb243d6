// Copyright 2026 The fan-out engine authors.

#include "mpi/share_index.h"

#include <algorithm>
#include <cstdio>
#include <memory>
#include <new>
#include <vector>

#include "absl/numeric/int128.h"
#include "base/status_macros.h"
#include "engine/location_index.h"
#include "engine/shard_policy.h"
#include "mpi/cell_partition.h"
#include "mpi/users_share.h"
#include "oneapi/tbb/parallel_sort.h"

namespace fanout {
namespace {

// Keeps the last of each user's rows (`rows` in file order per user).
uint64_t KeepLastRows(std::vector<UserRecord>* rows) {
  std::stable_sort(rows->begin(), rows->end(), [](const UserRecord& a, const UserRecord& b) {
    return a.user_id < b.user_id;
  });
  size_t kept = 0;
  for (size_t i = 0; i < rows->size(); ++i) {
    if (i + 1 < rows->size() && (*rows)[i + 1].user_id == (*rows)[i].user_id) continue;
    (*rows)[kept++] = (*rows)[i];
  }
  const uint64_t dropped = rows->size() - kept;
  rows->resize(kept);
  return dropped;
}

// An entry of the index being built: a user and its leaf cell, ordered as
// the index orders them.
struct Entry {
  uint64_t cell, user;
  bool operator<(const Entry& o) const { return cell != o.cell ? cell < o.cell : user < o.user; }
};

// `items` grouped by destination rank (stable), with the count for each:
// one buffer, so that Exchange sends from it without another copy.
template <typename T, typename DestFn>
std::vector<T> GroupByRank(const std::vector<T>& items, int ranks, DestFn dest,
                           std::vector<size_t>* counts) {
  counts->assign(ranks, 0);
  for (const T& item : items) ++(*counts)[dest(item)];
  std::vector<size_t> at(ranks, 0);
  for (int r = 1; r < ranks; ++r) at[r] = at[r - 1] + (*counts)[r - 1];
  std::vector<T> out(items.size());
  for (const T& item : items) out[at[dest(item)]++] = item;
  return out;
}

// How many of `sorted` entries fall in each part of `partition` (they are
// consecutive, part by part).
std::vector<size_t> PartCounts(const std::vector<Entry>& sorted, const CellPartition& partition) {
  std::vector<size_t> counts(partition.parts());
  auto begin = sorted.begin();
  for (int k = 0; k < partition.parts(); ++k) {
    auto end = k + 1 == partition.parts()
                   ? sorted.end()
                   : std::lower_bound(begin, sorted.end(), partition.upper(k),
                                      [](const Entry& e, uint64_t cell) { return e.cell < cell; });
    counts[k] = end - begin;
    begin = end;
  }
  return counts;
}

// Stage 1: this rank's share of the rows, the file unmapped again.
absl::StatusOr<std::vector<UserRecord>> ReadShare(MpiWorld& world, const std::string& users_path,
                                                  bool skip_bad_rows, ShareBuildStats* stats) {
  absl::StatusOr<UsersShare> share = UsersShare::Open(users_path, world.rank(), world.size());
  RETURN_IF_ERROR(world.Agree(share.status()));
  // Line numbers in messages count from the top of the whole file.
  std::vector<uint64_t> lines = world.Broadcast(world.GatherToRoot({share->lines()}));
  uint64_t first_line = 2;
  for (int r = 0; r < world.rank(); ++r) first_line += lines[r];
  UsersCsvOptions options;
  options.skip_bad_rows = skip_bad_rows;
  UsersCsvStats csv_stats;
  absl::StatusOr<std::vector<UserRecord>> rows = absl::ResourceExhaustedError("out of memory");
  try {
    rows = share->Read(first_line, options, &csv_stats);
    if (rows.ok() && world.root()) {
      absl::Status verified = share->VerifyChecksum();
      if (!verified.ok()) rows = verified;
    }
  } catch (const std::bad_alloc&) {
  }
  RETURN_IF_ERROR(world.Agree(rows.status()));
  stats->input_rows = rows->size();
  stats->bad_rows = csv_stats.bad_rows;
  if (csv_stats.bad_rows > 0) {
    std::fprintf(stderr, "rank %d: skipped %llu bad rows (first: %s:%llu: %s)\n", world.rank(),
                 static_cast<unsigned long long>(csv_stats.bad_rows), users_path.c_str(),
                 static_cast<unsigned long long>(csv_stats.first_bad_line),
                 csv_stats.first_bad_reason.c_str());
  }
  return rows;
}

// Stages 2-3: this rank's piece of the global (cell, user) order, sorted,
// after resolving repeated ids.
std::vector<Entry> SpreadByCell(MpiWorld& world, std::vector<UserRecord> rows,
                                ShareBuildStats* stats) {
  // 2. Each user's rows meet at one rank; its last row wins.
  std::vector<UserRecord> mine;
  {
    std::vector<size_t> counts;
    const std::vector<UserRecord> grouped = GroupByRank(
        rows, world.size(),
        [&](const UserRecord& r) { return static_cast<int>(Mix64(r.user_id) % world.size()); },
        &counts);
    rows = {};
    mine = world.Exchange(absl::MakeConstSpan(grouped), counts);
  }
  stats->duplicate_rows = KeepLastRows(&mine);

  // 3. A first partition by cell, from a sample; each rank sorts its piece.
  std::vector<Entry> entries(mine.size());
  for (size_t i = 0; i < mine.size(); ++i) entries[i] = {mine[i].ToCellId().id(), mine[i].user_id};
  mine = {};
  tbb::parallel_sort(entries.begin(), entries.end());
  std::vector<uint64_t> sample;
  const size_t n = entries.size(), count = std::min(n, kPartitionSamplesPerPart);
  for (size_t i = 0; i < count; ++i) {
    sample.push_back(entries[static_cast<size_t>((absl::uint128(2 * i + 1) * n) / (2 * count))].cell);
  }
  const CellPartition first = PartitionByShareSample(world, sample, world.size());
  std::vector<Entry> piece = world.Exchange(absl::MakeConstSpan(entries), PartCounts(entries, first));
  entries = {};
  tbb::parallel_sort(piece.begin(), piece.end());
  return piece;
}

// Stage 4: the partition the whole-file path chooses, from the cells at
// its sample positions in the global order (this rank holds positions
// [offset, offset + piece.size())).
CellPartition ExactPartition(MpiWorld& world, const std::vector<Entry>& piece, int parts) {
  std::vector<uint64_t> sizes = world.Broadcast(world.GatherToRoot({piece.size()}));
  uint64_t offset = 0, n = 0;
  for (int r = 0; r < world.size(); ++r) {
    if (r < world.rank()) offset += sizes[r];
    n += sizes[r];
  }
  std::vector<uint64_t> samples;
  for (int p = 0; p < parts; ++p) {
    // As LocalPartition and PartitionBySample: CellPartition::SampleCells
    // of slice p of the sorted cells.
    const uint64_t begin = n * p / parts, end = n * (p + 1) / parts, len = end - begin;
    const uint64_t count = std::min<uint64_t>(kPartitionSamplesPerPart, len);
    for (uint64_t i = 0; i < count; ++i) {
      const uint64_t at =
          begin + static_cast<uint64_t>((absl::uint128(2 * i + 1) * len) / (2 * count));
      if (at >= offset && at < offset + piece.size()) samples.push_back(piece[at - offset].cell);
    }
  }
  std::vector<uint64_t> all = world.GatherToRoot(samples);
  std::vector<uint64_t> splitters;
  if (world.root()) splitters = CellPartition::FromSamples(std::move(all), parts).splitters();
  return *CellPartition::FromSplitters(world.Broadcast(std::move(splitters)), parts);
}

}  // namespace

absl::StatusOr<RankIndex> BuildRankIndexFromShares(MpiWorld& world,
                                                   const std::string& users_path,
                                                   bool skip_bad_rows, ShareBuildStats* stats) {
  ASSIGN_OR_RETURN(std::vector<UserRecord> rows,
                   ReadShare(world, users_path, skip_bad_rows, stats));
  // Collectives may not be skipped by one rank: a bad_alloc in the
  // exchanges cannot be agreed on, so it ends the job, naming the rank
  // (fanout_mpi_main.cc).
  std::vector<Entry> piece = SpreadByCell(world, std::move(rows), stats);
  RankIndex part;
  part.partition = ExactPartition(world, piece, world.size());

  // 5. Entries to their final rank; the pieces received come in rank
  // order, each ascending within ascending ranges, so they are sorted.
  std::vector<Entry> entries =
      world.Exchange(absl::MakeConstSpan(piece), PartCounts(piece, part.partition));
  piece = {};
  absl::StatusOr<std::unique_ptr<LocationIndex>> index =
      absl::ResourceExhaustedError("out of memory");
  try {
    std::vector<uint64_t> cells(entries.size()), users(entries.size());
    for (size_t i = 0; i < entries.size(); ++i) {
      cells[i] = entries[i].cell;
      users[i] = entries[i].user;
    }
    entries = {};
    index = LocationIndex::FromColumns(std::move(cells), std::move(users));
  } catch (const std::bad_alloc&) {
  }
  RETURN_IF_ERROR(world.Agree(index.status()));
  part.index = std::move(*index);
  return part;
}

}  // namespace fanout
