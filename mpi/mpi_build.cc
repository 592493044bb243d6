// Copyright 2026 The fan-out engine authors.
//
// fanout-mpi build: a users file split into one snapshot per rank plus a
// manifest (mpi/partition_manifest.h), so that `fanout-mpi alert --index
// PREFIX.manifest` loads on each rank only its own part. Rank 0 writes the
// manifest last, only when every part is written and read back: a
// manifest never names a part that is not there.
//
// `mpirun -np K fanout-mpi build ...`: no rank reads the whole file; each
// builds its part from its share of the file (mpi/share_index.h), and the
// parts are the ones a single process writes with --parts K. A file with
// attributes (lang, updated_at) gives parts with them (a version 2
// snapshot's attrs section, every part with the file's whole language
// dictionary, in the order the whole-file reader numbers the tags).
//
// `fanout-mpi build --parts K` (one process): reads the whole file,
// builds the whole index and writes all K parts.

#include <cstdio>
#include <filesystem>
#include <new>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "base/status_macros.h"
#include "engine/snapshot.h"
#include "mpi/cell_partition.h"
#include "mpi/mpi_commands.h"
#include "mpi/partition_manifest.h"
#include "mpi/rank_index.h"
#include "mpi/share_index.h"
#include "tools/cli_flags.h"
#include "tools/cli_util.h"
#include "tools/index_flags.h"

namespace fanout {
namespace {

// The partition into `parts` parts when it differs from the rank count:
// every rank samples every part's share itself (the same numbers
// everywhere, no communication needed).
CellPartition LocalPartition(const LocationIndex& full, int parts) {
  SortedRun run = full.run();
  std::vector<uint64_t> samples;
  for (int p = 0; p < parts; ++p) {
    const size_t begin = run.size() * p / parts, end = run.size() * (p + 1) / parts;
    std::vector<uint64_t> s =
        CellPartition::SampleCells(run.cells.subspan(begin, end - begin), kPartitionSamplesPerPart);
    samples.insert(samples.end(), s.begin(), s.end());
  }
  return CellPartition::FromSamples(std::move(samples), parts);
}

// Writes `part` as part p of `parts` and reads it back: (p, users, bytes,
// checksum).
absl::StatusOr<std::vector<uint64_t>> WritePartFile(const LocationIndex& part,
                                                    const UserAttributes* attributes, int p,
                                                    int parts, const std::string& prefix,
                                                    double build_seconds) {
  SnapshotMetadata meta;
  meta.input_rows = part.size();
  meta.build_seconds = build_seconds;
  const std::string path = PartitionManifest::PartPath(prefix, p, parts);
  // With attributes, a version 2 part (the snapshot's attrs section); a
  // part without is the same version 1 file as before.
  RETURN_IF_ERROR(WriteSnapshot(path, part, meta, SnapshotWriteOptions(), attributes));
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
          *CopySlice(full, begin, end), CopyAttributeSlice(built->attributes.get(), begin, end).get(),
          p, parts, prefix, built->build_stats.seconds);
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

// Every rank one part, reading only its share of the file.
absl::Status BuildFromShares(MpiWorld& world, const std::string& users_path, bool skip_bad_rows,
                             const std::string& prefix) {
  const int64_t start = absl::GetCurrentTimeNanos();
  ShareBuildStats stats;
  ASSIGN_OR_RETURN(RankIndex part,
                   BuildRankIndexFromShares(world, users_path, skip_bad_rows, &stats));
  absl::StatusOr<std::vector<uint64_t>> written = absl::ResourceExhaustedError("out of memory");
  try {
    written = WritePartFile(*part.index, part.attributes.get(), world.rank(), world.size(), prefix,
                            MillisSince(start) / 1000);
  } catch (const std::bad_alloc&) {
  }
  RETURN_IF_ERROR(world.Agree(written.status()));
  const std::vector<uint64_t> counts = world.SumToRoot({stats.input_rows, stats.duplicate_rows});
  return WriteManifest(world, world.size(), part.partition, prefix, *written,
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
