// Copyright 2026 The fan-out engine authors.
//
// fanout-mpi build: a users file split into one snapshot per rank plus a
// manifest (mpi/partition_manifest.h), so that `fanout-mpi alert --index
// PREFIX.manifest` loads on each rank only its own part. Run it as
// `mpirun -np K fanout-mpi build ...` (each rank writes its part) or by
// one process with `--parts K` (it writes all K). Every rank reads the
// whole users file and builds the whole index (a repeated user id is
// resolved before the split, as `fanout build` resolves it), cuts it at
// splitters chosen from a sample, writes its part(s), reads each back to
// take its checksum, and rank 0 writes the manifest last, only when every
// part is written: a manifest never names a part that is not there.

#include <cstdio>
#include <filesystem>
#include <new>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "engine/snapshot.h"
#include "mpi/cell_partition.h"
#include "mpi/mpi_commands.h"
#include "mpi/partition_manifest.h"
#include "mpi/rank_index.h"
#include "tools/cli_flags.h"
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

// Writes part p and reads it back: (p, users, bytes, checksum).
absl::StatusOr<std::vector<uint64_t>> WritePart(const LocationIndex& full,
                                                const CellPartition& partition, int p,
                                                const std::string& prefix,
                                                const LocationIndex::BuildStats& stats) {
  auto [begin, end] = partition.Slice(full.run(), p);
  std::unique_ptr<LocationIndex> slice = CopySlice(full, begin, end);
  SnapshotMetadata meta;
  meta.input_rows = slice->size();
  meta.build_seconds = stats.seconds;
  const std::string path = PartitionManifest::PartPath(prefix, p, partition.parts());
  RETURN_IF_ERROR(WriteSnapshot(path, *slice, meta));
  slice.reset();
  ASSIGN_OR_RETURN(LoadedSnapshot back, LoadSnapshot(path));
  return std::vector<uint64_t>{static_cast<uint64_t>(p), back.index->size(), back.file_size,
                               PartChecksum(back)};
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

  // Every rank builds the whole index.
  absl::StatusOr<BuiltIndex> built = absl::ResourceExhaustedError("out of memory");
  try {
    built = LoadUsersAndBuild(*users_path, flags.Has("skip-bad-rows"));
  } catch (const std::bad_alloc&) {
  }
  RETURN_IF_ERROR(world.Agree(built.status()));
  built->input.reset();
  const LocationIndex& full = *built->index;
  CellPartition partition = parts == world.size() ? PartitionBySample(world, full, parts)
                                                  : LocalPartition(full, parts);

  // Each rank its part(s).
  std::vector<uint64_t> written;
  absl::Status wrote = absl::OkStatus();
  try {
    for (int p = world.rank(); p < parts && wrote.ok(); p += world.size()) {
      absl::StatusOr<std::vector<uint64_t>> part =
          WritePart(full, partition, p, *prefix, built->build_stats);
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

  // The manifest, last.
  std::vector<uint64_t> all = world.GatherToRoot(written);
  absl::Status manifest_written = absl::OkStatus();
  if (world.root()) {
    PartitionManifest m;
    m.ranks = parts;
    m.splitters = partition.splitters();
    m.parts.resize(parts);
    for (size_t i = 0; i + 3 < all.size(); i += 4) {
      PartitionManifest::Part& part = m.parts[all[i]];
      part.file = std::filesystem::path(PartitionManifest::PartPath(*prefix, all[i], parts))
                      .filename()
                      .string();
      part.users = all[i + 1];
      part.bytes = all[i + 2];
      part.checksum = all[i + 3];
      m.users += part.users;
    }
    const std::string path = PartitionManifest::ManifestPath(*prefix);
    manifest_written = m.Write(path);
    if (manifest_written.ok()) {
      std::printf("wrote %d parts of %llu users (%llu input rows, %llu repeated) and %s\n", parts,
                  static_cast<unsigned long long>(m.users),
                  static_cast<unsigned long long>(built->build_stats.input_rows),
                  static_cast<unsigned long long>(built->build_stats.duplicate_rows),
                  path.c_str());
      for (int p = 0; p < parts; ++p) {
        std::printf("  %s: %llu users\n", m.parts[p].file.c_str(),
                    static_cast<unsigned long long>(m.parts[p].users));
      }
    }
  }
  return world.Agree(manifest_written);
}

}  // namespace fanout
