// Copyright 2026 The fan-out engine authors.

#ifndef FANOUT_MPI_PARTITION_MANIFEST_H_
#define FANOUT_MPI_PARTITION_MANIFEST_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "engine/snapshot.h"

namespace fanout {

// The manifest of a partitioned index (`fanout-mpi build --out PREFIX`):
// PREFIX.manifest names one snapshot per rank, PREFIX.part-K-of-N.fo
// (engine/snapshot.h, part K of N counted from 0), and says how the users
// were split. JSON, written atomically after every part is written and
// read back:
//
//   {"format": "fanout-mpi-manifest", "version": 1,
//    "ranks": N,                          // parts, one per MPI rank
//    "users": U,                          // sum of the parts' users
//    "splitters": [s1, ..., s(N-1)],      // u64 leaf cell ids (CellPartition)
//    "parts": [{"file": "PREFIX.part-0-of-N.fo",  // beside the manifest
//               "users": n0, "bytes": b0, "checksum": "16 hex digits"}, ...]}
//
// A part's checksum is SnapshotChecksum of its section checksums (the
// snapshot's own, as little-endian u64s in table order): it changes
// whenever any byte of the part's columns does, and costs nothing to
// recompute once the loader has verified every section against its own
// checksum. A rank loading part k checks the file's size, user count and
// checksum against the manifest and that every cell of it lies in part k's
// cell range; any mismatch is refused (kDataLoss naming the part file and
// the mismatch), as is a manifest written for another number of ranks
// (kFailedPrecondition naming the manifest and both counts).
//
// Thread-safety: a plain value.
struct PartitionManifest {
  struct Part {
    std::string file;  // file name, relative to the manifest's folder
    uint64_t users = 0;
    uint64_t bytes = 0;
    uint64_t checksum = 0;
  };
  int ranks = 0;
  uint64_t users = 0;
  std::vector<uint64_t> splitters;
  std::vector<Part> parts;

  // "PREFIX.part-K-of-N.fo" and "PREFIX.manifest".
  static std::string PartPath(const std::string& prefix, int k, int n);
  static std::string ManifestPath(const std::string& prefix);

  // Reads and checks the structure (ranks >= 1, ranks - 1 ascending
  // splitters, ranks parts, users adding up). kNotFound when missing,
  // kDataLoss naming `path` and what is wrong otherwise.
  static absl::StatusOr<PartitionManifest> Read(const std::string& path);
  // Writes atomically (base/atomic_file.h).
  absl::Status Write(const std::string& path) const;

  // The part file's path for part k, resolved against the manifest's folder.
  std::string PartFile(const std::string& manifest_path, int k) const;
};

// The manifest checksum of a loaded (and so verified) snapshot.
uint64_t PartChecksum(const LoadedSnapshot& snapshot);

}  // namespace fanout

#endif  // FANOUT_MPI_PARTITION_MANIFEST_H_
