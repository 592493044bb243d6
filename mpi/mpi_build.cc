// Copyright 2026 The fan-out engine authors.
//
// fanout-mpi build: a users file split into one snapshot per rank plus a
// manifest (mpi/partition_manifest.h), so that `fanout-mpi alert --index
// PREFIX.manifest` loads on each rank only its own part. Rank 0 writes the
// manifest last, only when every part is written and read back: a
// manifest never names a part that is not there.
//
// `mpirun -np K fanout-mpi build ...`: no rank reads the whole file. Each
// rank reads its share of the bytes (mpi/users_share.h: CSV cut at line
// boundaries, binary at record boundaries) and then:
//   1. rows go to rank mix64(user id) % K, which keeps each user's last
//      row (shares and senders are in file order, so "last" is the file's
//      order, as `fanout build` resolves a repeated id);
//   2. the survivors go to the ranks of a first partition chosen from a
//      sample of their cells, where each builds a sorted index: the ranks
//      now hold the global (cell, user) order in consecutive pieces;
//   3. the splitters are chosen from the cells at the very positions of
//      that global order that the whole-file path samples (K slices of
//      4096 evenly spaced entries), so the partition, and every part, is
//      the one a single process writes with --parts K;
//   4. each rank sends every other the entries of its piece that fall in
//      the other's final range (only near the first partition's borders)
//      and writes its part.
// Peak memory per rank: about 16 bytes per row of its share plus 2 x 24
// bytes per user of its part (the exchanges' in and out buffers).
//
// `fanout-mpi build --parts K` (one process): reads the whole file,
// builds the whole index and writes all K parts.

#include <cstdio>
#include <filesystem>
#include <new>
#include <set>
#include <string>
#include <vector>

#include "absl/numeric/int128.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "base/status_macros.h"
#include "engine/shard_policy.h"
#include "engine/snapshot.h"
#include "mpi/cell_partition.h"
#include "mpi/mpi_commands.h"
#include "mpi/partition_manifest.h"
#include "mpi/rank_index.h"
#include "mpi/users_share.h"
#include "tools/cli_flags.h"
#include "tools/cli_util.h"
#include "tools/index_flags.h"

namespace fanout {
namespace {

constexpr size_t kSamplesPerPart = 4096;

// The partition into `parts` parts when it differs from the rank count:
// every rank samples every part's share itself (the same numbers
// everywhere, no communication needed).
CellPartition LocalPartition(const LocationIndex& full, int parts) {
  SortedRun run = full.run();
  std::vector<uint64_t> samples;
  for (int p = 0; p < parts; ++p) {
    const size_t begin = run.size() * p / parts, end = run.size() * (p + 1) / parts;
    std::vector<uint64_t> s =
        CellPartition::SampleCells(run.cells.subspan(begin, end - begin), kSamplesPerPart);
    samples.insert(samples.end(), s.begin(), s.end());
  }
  return CellPartition::FromSamples(std::move(samples), parts);
}

// Writes `part` as part p of `parts` and reads it back: (p, users, bytes,
// checksum).
absl::StatusOr<std::vector<uint64_t>> WritePartFile(const LocationIndex& part, int p, int parts,
                                                    const std::string& prefix,
                                                    double build_seconds) {
  SnapshotMetadata meta;
  meta.input_rows = part.size();
  meta.build_seconds = build_seconds;
  const std::string path = PartitionManifest::PartPath(prefix, p, parts);
  RETURN_IF_ERROR(WriteSnapshot(path, part, meta));
  ASSIGN_OR_RETURN(LoadedSnapshot back, LoadSnapshot(path));
  return std::vector<uint64_t>{static_cast<uint64_t>(p), back.index->size(), back.file_size,
                               PartChecksum(back)};
}

// Gathers every rank's (p, users, bytes, checksum) and writes the manifest
// on rank 0. Collective; the agreed status.
absl::Status WriteManifest(MpiWorld& world, int parts, const CellPartition& partition,
                           const std::string& prefix, const std::vector<uint64_t>& written,
                           uint64_t input_rows, uint64_t duplicate_rows) {
  std::vector<uint64_t> all = world.GatherToRoot(written);
  absl::Status manifest_written = absl::OkStatus();
  if (world.root()) {
    PartitionManifest m;
    m.ranks = parts;
    m.splitters = partition.splitters();
    m.parts.resize(parts);
    for (size_t i = 0; i + 3 < all.size(); i += 4) {
      PartitionManifest::Part& part = m.parts[all[i]];
      part.file = std::filesystem::path(PartitionManifest::PartPath(prefix, all[i], parts))
                      .filename()
                      .string();
      part.users = all[i + 1];
      part.bytes = all[i + 2];
      part.checksum = all[i + 3];
      m.users += part.users;
    }
    const std::string path = PartitionManifest::ManifestPath(prefix);
    manifest_written = m.Write(path);
    if (manifest_written.ok()) {
      std::printf("wrote %d parts of %llu users (%llu input rows, %llu repeated) and %s\n", parts,
                  static_cast<unsigned long long>(m.users),
                  static_cast<unsigned long long>(input_rows),
                  static_cast<unsigned long long>(duplicate_rows), path.c_str());
      for (int p = 0; p < parts; ++p) {
        std::printf("  %s: %llu users\n", m.parts[p].file.c_str(),
                    static_cast<unsigned long long>(m.parts[p].users));
      }
    }
  }
  return world.Agree(manifest_written);
}

// One process, all `parts` parts, from the whole file.
absl::Status BuildWholeFile(MpiWorld& world, const std::string& users_path, bool skip_bad_rows,
                            const std::string& prefix, int parts) {
  absl::StatusOr<BuiltIndex> built = absl::ResourceExhaustedError("out of memory");
  try {
    built = LoadUsersAndBuild(users_path, skip_bad_rows);
  } catch (const std::bad_alloc&) {
  }
  RETURN_IF_ERROR(world.Agree(built.status()));
  built->input.reset();
  const LocationIndex& full = *built->index;
  CellPartition partition = LocalPartition(full, parts);
  std::vector<uint64_t> written;
  absl::Status wrote = absl::OkStatus();
  try {
    for (int p = 0; p < parts && wrote.ok(); ++p) {
      auto [begin, end] = partition.Slice(full.run(), p);
      absl::StatusOr<std::vector<uint64_t>> part = WritePartFile(
          *CopySlice(full, begin, end), p, parts, prefix, built->build_stats.seconds);
      if (part.ok()) {
        written.insert(written.end(), part->begin(), part->end());
      } else {
        wrote = part.status();
      }
    }
  } catch (const std::bad_alloc&) {
    wrote = absl::ResourceExhaustedError("out of memory");
  }
  RETURN_IF_ERROR(world.Agree(wrote));
  return WriteManifest(world, parts, partition, prefix, written, built->build_stats.input_rows,
                       built->build_stats.duplicate_rows);
}

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

// Stages 1-2 of the file comment: this rank's users after resolving
// repeated ids, as a sorted index of one piece of the global order.
// `input_rows` and `duplicate_rows` count this rank's share.
absl::StatusOr<std::unique_ptr<LocationIndex>> ReadAndSpread(MpiWorld& world,
                                                             const std::string& users_path,
                                                             bool skip_bad_rows,
                                                             uint64_t* input_rows,
                                                             uint64_t* duplicate_rows) {
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
  *input_rows = rows->size();
  if (csv_stats.bad_rows > 0) {
    std::fprintf(stderr, "rank %d: skipped %llu bad rows (first: %s:%llu: %s)\n", world.rank(),
                 static_cast<unsigned long long>(csv_stats.bad_rows), users_path.c_str(),
                 static_cast<unsigned long long>(csv_stats.first_bad_line),
                 csv_stats.first_bad_reason.c_str());
  }

  // 1. Each user's rows meet at one rank; its last row wins.
  std::vector<UserRecord> mine;
  {
    std::vector<std::vector<UserRecord>> out(world.size());
    for (const UserRecord& r : *rows) out[Mix64(r.user_id) % world.size()].push_back(r);
    rows = std::vector<UserRecord>();
    mine = world.Exchange(out);
  }
  *duplicate_rows = KeepLastRows(&mine);

  // 2. A first partition by cell, from a sample; each rank sorts its piece.
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

// Stage 3: the partition the whole-file path chooses, from the cells at
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
    const uint64_t count = std::min<uint64_t>(kSamplesPerPart, len);
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

// Every rank one part, reading only its share of the file.
absl::Status BuildFromShares(MpiWorld& world, const std::string& users_path, bool skip_bad_rows,
                             const std::string& prefix) {
  const int64_t start = absl::GetCurrentTimeNanos();
  uint64_t input_rows = 0, duplicate_rows = 0;
  ASSIGN_OR_RETURN(std::unique_ptr<LocationIndex> piece,
                   ReadAndSpread(world, users_path, skip_bad_rows, &input_rows, &duplicate_rows));
  const CellPartition partition = ExactPartition(world, piece->run(), world.size());

  // 4. Entries to their final rank; the received pieces come in rank
  // order, ascending, so they are sorted.
  struct Entry {
    uint64_t cell, user;
  };
  std::vector<std::vector<Entry>> out(world.size());
  {
    const SortedRun run = piece->run();
    for (int k = 0; k < world.size(); ++k) {
      auto [begin, end] = partition.Slice(run, k);
      out[k].reserve(end - begin);
      for (size_t i = begin; i < end; ++i) out[k].push_back({run.cells[i], run.users[i]});
    }
  }
  piece.reset();
  std::vector<Entry> entries = world.Exchange(out);
  out = {};
  absl::StatusOr<std::vector<uint64_t>> written = absl::ResourceExhaustedError("out of memory");
  try {
    std::vector<uint64_t> cells(entries.size()), users(entries.size());
    for (size_t i = 0; i < entries.size(); ++i) {
      cells[i] = entries[i].cell;
      users[i] = entries[i].user;
    }
    entries = {};
    absl::StatusOr<std::unique_ptr<LocationIndex>> part =
        LocationIndex::FromColumns(std::move(cells), std::move(users));
    written = part.ok() ? WritePartFile(**part, world.rank(), world.size(), prefix,
                                        MillisSince(start) / 1000)
                        : absl::StatusOr<std::vector<uint64_t>>(part.status());
  } catch (const std::bad_alloc&) {
  }
  RETURN_IF_ERROR(world.Agree(written.status()));
  const std::vector<uint64_t> counts = world.SumToRoot({input_rows, duplicate_rows});
  return WriteManifest(world, world.size(), partition, prefix, *written,
                       world.root() ? counts[0] : 0, world.root() ? counts[1] : 0);
}

}  // namespace

absl::Status RunMpiBuild(MpiWorld& world, int argc, char** argv) {
  CliFlags flags({"users", "out", "parts"}, {"skip-bad-rows"});
  absl::Status status = flags.Parse(argc, argv, 2);
  absl::StatusOr<std::string> users_path = flags.Require("users");
  absl::StatusOr<std::string> prefix = flags.Require("out");
  absl::StatusOr<uint64_t> parts_flag = flags.GetUintInRange("parts", world.size(), 1, 1 << 16);
  if (status.ok()) status = users_path.status();
  if (status.ok()) status = prefix.status();
  if (status.ok()) status = parts_flag.status();
  RETURN_IF_ERROR(world.Agree(status));
  const int parts = static_cast<int>(*parts_flag);
  if (parts != world.size() && world.size() != 1) {
    RETURN_IF_ERROR(world.Agree(absl::InvalidArgumentError(absl::StrCat(
        "--parts ", parts, " with ", world.size(),
        " ranks: run one rank per part, or one process for all parts"))));
  }

  if (parts == world.size()) {
    return BuildFromShares(world, *users_path, flags.Has("skip-bad-rows"), *prefix);
  }
  return BuildWholeFile(world, *users_path, flags.Has("skip-bad-rows"), *prefix, parts);
}

}  // namespace fanout
