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

// Stages 1-3 of BuildRankIndexFromShares: this rank's users after resolving
// repeated ids, as a sorted index of one piece of the global order.
// `stats` counts this rank's share.
absl::StatusOr<std::unique_ptr<LocationIndex>> ReadAndSpread(MpiWorld& world,
                                                             const std::string& users_path,
                                                             bool skip_bad_rows,
                                                             ShareBuildStats* stats) {
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

  // 2. Each user's rows meet at one rank; its last row wins.
  std::vector<UserRecord> mine;
  {
    std::vector<std::vector<UserRecord>> out(world.size());
    for (const UserRecord& r : *rows) out[Mix64(r.user_id) % world.size()].push_back(r);
    rows = std::vector<UserRecord>();
    mine = world.Exchange(out);
  }
  stats->duplicate_rows = KeepLastRows(&mine);

  // 3. A first partition by cell, from a sample; each rank sorts its piece.
  std::vector<uint64_t> cells(mine.size());
  for (size_t i = 0; i < mine.size(); ++i) cells[i] = mine[i].ToCellId().id();
  std::sort(cells.begin(), cells.end());
  const CellPartition first = PartitionByShareSample(world, cells, world.size());
  cells = {};
  std::vector<std::vector<UserRecord>> out(world.size());
  for (const UserRecord& r : mine) out[first.PartOf(r.ToCellId().id())].push_back(r);
  mine = {};
  const std::vector<UserRecord> piece = world.Exchange(out);
  out = {};
  absl::StatusOr<std::unique_ptr<LocationIndex>> index =
      absl::ResourceExhaustedError("out of memory");
  try {
    index = LocationIndex::Build(piece, {});
  } catch (const std::bad_alloc&) {
  }
  RETURN_IF_ERROR(world.Agree(index.status()));
  return index;
}

// Stage 4: the partition the whole-file path chooses, from the cells at
// its sample positions in the global order (this rank holds positions
// [offset, offset + run.size())).
CellPartition ExactPartition(MpiWorld& world, const SortedRun& run, int parts) {
  std::vector<uint64_t> sizes = world.Broadcast(world.GatherToRoot({run.size()}));
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
      if (at >= offset && at < offset + run.size()) samples.push_back(run.cells[at - offset]);
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
  ASSIGN_OR_RETURN(std::unique_ptr<LocationIndex> piece,
                   ReadAndSpread(world, users_path, skip_bad_rows, stats));
  RankIndex out;
  out.partition = ExactPartition(world, piece->run(), world.size());

  // 5. Entries to their final rank; the received pieces come in rank
  // order, ascending, so they are sorted.
  struct Entry {
    uint64_t cell, user;
  };
  std::vector<std::vector<Entry>> outgoing(world.size());
  {
    const SortedRun run = piece->run();
    for (int k = 0; k < world.size(); ++k) {
      auto [begin, end] = out.partition.Slice(run, k);
      outgoing[k].reserve(end - begin);
      for (size_t i = begin; i < end; ++i) outgoing[k].push_back({run.cells[i], run.users[i]});
    }
  }
  piece.reset();
  std::vector<Entry> entries = world.Exchange(outgoing);
  outgoing = {};
  absl::StatusOr<std::unique_ptr<LocationIndex>> part =
      absl::ResourceExhaustedError("out of memory");
  try {
    std::vector<uint64_t> cells(entries.size()), users(entries.size());
    for (size_t i = 0; i < entries.size(); ++i) {
      cells[i] = entries[i].cell;
      users[i] = entries[i].user;
    }
    entries = {};
    part = LocationIndex::FromColumns(std::move(cells), std::move(users));
  } catch (const std::bad_alloc&) {
  }
  RETURN_IF_ERROR(world.Agree(part.status()));
  out.index = std::move(*part);
  return out;
}

}  // namespace fanout
