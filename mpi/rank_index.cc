// Copyright 2026 The fan-out engine authors.

#include "mpi/rank_index.h"

#include <cstdio>
#include <new>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "base/mapped_file.h"
#include "base/status_macros.h"
#include "engine/snapshot.h"
#include "mpi/partition_manifest.h"
#include "mpi/share_index.h"
#include "tools/index_flags.h"

namespace fanout {
namespace {

// Loads part world.rank() of the manifest, checking it against the manifest.
absl::StatusOr<RankIndex> LoadManifestPart(MpiWorld& world, const std::string& manifest_path,
                                           AlertSummary* summary) {
  ASSIGN_OR_RETURN(PartitionManifest manifest, PartitionManifest::Read(manifest_path));
  if (manifest.ranks != world.size()) {
    return absl::FailedPreconditionError(absl::StrCat(
        manifest_path, ": written for ", manifest.ranks, " ranks, but this job has ",
        world.size(), " (run it with mpirun -np ", manifest.ranks, ")"));
  }
  const int k = world.rank();
  ASSIGN_OR_RETURN(CellPartition partition,
                   CellPartition::FromSplitters(manifest.splitters, manifest.ranks));
  const std::string part_path = manifest.PartFile(manifest_path, k);
  const PartitionManifest::Part& want = manifest.parts[k];
  ASSIGN_OR_RETURN(LoadedSnapshot snapshot, LoadSnapshot(part_path));
  auto mismatch = [&](const std::string& what) {
    return absl::DataLossError(
        absl::StrCat(part_path, " does not match ", manifest_path, ": ", what));
  };
  if (snapshot.file_size != want.bytes) {
    return mismatch(absl::StrCat("it is ", snapshot.file_size, " bytes, the manifest says ",
                                 want.bytes));
  }
  if (snapshot.index->size() != want.users) {
    return mismatch(absl::StrCat("it holds ", snapshot.index->size(),
                                 " users, the manifest says ", want.users));
  }
  if (uint64_t sum = PartChecksum(snapshot); sum != want.checksum) {
    return mismatch(absl::StrFormat("its checksum is %016x, the manifest says %016x", sum,
                                    want.checksum));
  }
  SortedRun run = snapshot.index->run();
  if (run.size() > 0 && (run.cells.front() < partition.lower(k) ||
                         run.cells.back() >= partition.upper(k))) {
    return mismatch(absl::StrCat("its cells lie outside part ", k, "'s cell range"));
  }
  summary->alert_info.emplace_back("index_manifest", manifest_path);
  RankIndex out;
  out.index = std::move(snapshot.index);
  out.attributes = std::move(snapshot.attributes);
  out.partition = std::move(partition);
  return out;
}

}  // namespace

CellPartition PartitionBySample(MpiWorld& world, const LocationIndex& full, int parts) {
  // This rank's share of the users: the K-th slice of the sorted cells, so
  // that the union of the samples is an even sample of every user.
  SortedRun run = full.run();
  const size_t n = run.size();
  const size_t begin = n * world.rank() / world.size();
  const size_t end = n * (world.rank() + 1) / world.size();
  return PartitionByShareSample(world, run.cells.subspan(begin, end - begin), parts);
}

CellPartition PartitionByShareSample(MpiWorld& world, absl::Span<const uint64_t> sorted_share,
                                     int parts) {
  std::vector<uint64_t> samples = CellPartition::SampleCells(sorted_share, kPartitionSamplesPerPart);
  std::vector<uint64_t> all = world.GatherToRoot(samples);
  std::vector<uint64_t> splitters;
  if (world.root()) splitters = CellPartition::FromSamples(std::move(all), parts).splitters();
  splitters = world.Broadcast(std::move(splitters));
  return *CellPartition::FromSplitters(std::move(splitters), parts);
}

std::unique_ptr<LocationIndex> CopySlice(const LocationIndex& full, size_t begin, size_t end) {
  SortedRun run = full.run();
  std::vector<uint64_t> cells(run.cells.begin() + begin, run.cells.begin() + end);
  std::vector<uint64_t> users(run.users.begin() + begin, run.users.begin() + end);
  // A slice of columns sorted by (cell, user) with unique users is too.
  return LocationIndex::FromTrustedColumns(std::move(cells), std::move(users));
}

std::shared_ptr<const UserAttributes> CopyAttributeSlice(const UserAttributes* attributes,
                                                         size_t begin, size_t end) {
  if (attributes == nullptr) return nullptr;
  std::vector<uint8_t> lang;
  std::vector<uint32_t> updated_at;
  if (attributes->has_lang()) {
    lang.assign(attributes->lang().begin() + begin, attributes->lang().begin() + end);
  }
  if (attributes->has_updated_at()) {
    updated_at.assign(attributes->updated_at().begin() + begin,
                      attributes->updated_at().begin() + end);
  }
  return UserAttributes::Own(attributes->kinds(), attributes->languages(), std::move(lang),
                             std::move(updated_at), end - begin);
}

absl::StatusOr<RankIndex> LoadRankIndex(MpiWorld& world, const CliFlags& flags,
                                        AlertSummary* summary) {
  const std::optional<std::string> index_flag = flags.Get("index");
  if (index_flag && absl::EndsWith(*index_flag, ".manifest")) {
    absl::StatusOr<RankIndex> part = absl::ResourceExhaustedError("out of memory");
    try {
      if (flags.Has("users") || flags.Has("dir")) {
        part = absl::InvalidArgumentError(
            "give exactly one of --index SNAPSHOT, --dir DIR or --users FILE");
      } else {
        part = LoadManifestPart(world, *index_flag, summary);
      }
    } catch (const std::bad_alloc&) {
    }
    RETURN_IF_ERROR(world.Agree(part.status()));
    return part;
  }

  // A users file: each rank reads its share (mpi/share_index.h).
  if (flags.Has("users")) {
    if (flags.Has("index") || flags.Has("dir")) {
      RETURN_IF_ERROR(world.Agree(absl::InvalidArgumentError(
          "give exactly one of --index SNAPSHOT, --dir DIR or --users FILE")));
    }
    const std::string users_path = *flags.Get("users");
    ShareBuildStats stats;
    ASSIGN_OR_RETURN(RankIndex out, BuildRankIndexFromShares(world, users_path,
                                                             flags.Has("skip-bad-rows"), &stats));
    const std::vector<uint64_t> sums =
        world.SumToRoot({stats.input_rows, stats.duplicate_rows, stats.bad_rows});
    if (world.root()) {
      if (sums[1] > 0) {
        std::fprintf(stderr,
                     "%llu rows repeated an earlier user id; the last row of each user won\n",
                     static_cast<unsigned long long>(sums[1]));
      }
      summary->alert_info.emplace_back("users_file", users_path);
      summary->alert_info.emplace_back("duplicate_rows", std::to_string(sums[1]));
      summary->alert_info.emplace_back("skipped_bad_rows", std::to_string(sums[2]));
    }
    return out;
  }

  // A snapshot or an engine folder: every rank loads the whole input (a
  // snapshot is mapped, so ranks on one host share its pages), then keeps
  // its cell range and the attributes of its entries.
  absl::StatusOr<std::unique_ptr<LocationIndex>> full =
      absl::ResourceExhaustedError("out of memory");
  std::shared_ptr<const UserAttributes> attributes;
  try {
    full = LoadIndexFromFlags(flags, summary, &attributes);
  } catch (const std::bad_alloc&) {
  }
  RETURN_IF_ERROR(world.Agree(full.status()));
  RankIndex out;
  out.partition = PartitionBySample(world, **full, world.size());
  absl::Status sliced = absl::ResourceExhaustedError("out of memory");
  try {
    auto [begin, end] = out.partition.Slice((*full)->run(), world.rank());
    out.index = CopySlice(**full, begin, end);
    out.attributes = CopyAttributeSlice(attributes.get(), begin, end);
    attributes.reset();
    full->reset();
    // A mapped snapshot that shrank would have been copied as zeros.
    sliced = MappedFile::CheckAllIntact();
  } catch (const std::bad_alloc&) {
  }
  RETURN_IF_ERROR(world.Agree(sliced));
  return out;
}

}  // namespace fanout
