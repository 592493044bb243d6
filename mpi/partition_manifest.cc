// Copyright 2026 The fan-out engine authors.

#include "mpi/partition_manifest.h"

#include <filesystem>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "base/atomic_file.h"
#include "base/mapped_file.h"
#include "base/status_macros.h"
#include "nlohmann/json.hpp"

namespace fanout {
namespace {

constexpr char kFormat[] = "fanout-mpi-manifest";
constexpr size_t kMaxManifestBytes = 64 << 20;

absl::Status Bad(const std::string& path, const std::string& what) {
  return absl::DataLossError(absl::StrCat(path, ": ", what));
}

}  // namespace

std::string PartitionManifest::PartPath(const std::string& prefix, int k, int n) {
  return absl::StrCat(prefix, ".part-", k, "-of-", n, ".fo");
}

std::string PartitionManifest::ManifestPath(const std::string& prefix) {
  return absl::StrCat(prefix, ".manifest");
}

std::string PartitionManifest::PartFile(const std::string& manifest_path, int k) const {
  std::filesystem::path dir = std::filesystem::path(manifest_path).parent_path();
  return (dir / parts[k].file).string();
}

absl::StatusOr<PartitionManifest> PartitionManifest::Read(const std::string& path) {
  ASSIGN_OR_RETURN(std::unique_ptr<MappedFile> file, MappedFile::Open(path));
  if (file->size() > kMaxManifestBytes) return Bad(path, "too large for a manifest");
  const std::string text(file->view());
  RETURN_IF_ERROR(file->CheckIntact());
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return Bad(path, "not a JSON object");
  if (!j.contains("format") || j["format"] != kFormat) {
    return Bad(path, absl::StrCat("not a fanout-mpi manifest (\"format\" is not \"", kFormat,
                                  "\")"));
  }
  if (!j.contains("version") || j["version"] != 1) {
    return Bad(path, "unsupported manifest version (want 1)");
  }
  auto u64 = [&](const nlohmann::json& v, const std::string& what) -> absl::StatusOr<uint64_t> {
    if (!v.is_number_unsigned()) return Bad(path, absl::StrCat(what, " is not an unsigned integer"));
    return v.get<uint64_t>();
  };
  PartitionManifest m;
  if (!j.contains("ranks")) return Bad(path, "no \"ranks\"");
  ASSIGN_OR_RETURN(uint64_t ranks, u64(j["ranks"], "\"ranks\""));
  if (ranks < 1 || ranks > (1 << 20)) return Bad(path, "\"ranks\" out of range");
  m.ranks = static_cast<int>(ranks);
  if (!j.contains("users")) return Bad(path, "no \"users\"");
  ASSIGN_OR_RETURN(m.users, u64(j["users"], "\"users\""));
  if (!j.contains("splitters") || !j["splitters"].is_array() ||
      j["splitters"].size() != ranks - 1) {
    return Bad(path, absl::StrCat("\"splitters\" must be an array of ", ranks - 1, " cell ids"));
  }
  for (const auto& s : j["splitters"]) {
    ASSIGN_OR_RETURN(uint64_t v, u64(s, "a splitter"));
    if (!m.splitters.empty() && v < m.splitters.back()) {
      return Bad(path, "\"splitters\" are not ascending");
    }
    m.splitters.push_back(v);
  }
  if (!j.contains("parts") || !j["parts"].is_array() || j["parts"].size() != ranks) {
    return Bad(path, absl::StrCat("\"parts\" must be an array of ", ranks, " parts"));
  }
  uint64_t sum = 0;
  for (size_t k = 0; k < ranks; ++k) {
    const auto& p = j["parts"][k];
    const std::string where = absl::StrCat("part ", k);
    if (!p.is_object() || !p.contains("file") || !p["file"].is_string() || !p.contains("users") ||
        !p.contains("bytes") || !p.contains("checksum") || !p["checksum"].is_string()) {
      return Bad(path, absl::StrCat(where, " lacks file, users, bytes or checksum"));
    }
    Part part;
    part.file = p["file"].get<std::string>();
    if (part.file.empty() || part.file.find('/') != std::string::npos) {
      return Bad(path, absl::StrCat(where, ": \"file\" must be a plain file name"));
    }
    ASSIGN_OR_RETURN(part.users, u64(p["users"], where + " users"));
    ASSIGN_OR_RETURN(part.bytes, u64(p["bytes"], where + " bytes"));
    const std::string hex = p["checksum"].get<std::string>();
    if (hex.size() != 16 || !absl::SimpleHexAtoi(hex, &part.checksum)) {
      return Bad(path, absl::StrCat(where, ": checksum is not 16 hex digits"));
    }
    sum += part.users;
    m.parts.push_back(std::move(part));
  }
  if (sum != m.users) {
    return Bad(path, absl::StrCat("parts hold ", sum, " users, \"users\" says ", m.users));
  }
  return m;
}

absl::Status PartitionManifest::Write(const std::string& path) const {
  nlohmann::json j;
  j["format"] = kFormat;
  j["version"] = 1;
  j["ranks"] = ranks;
  j["users"] = users;
  j["splitters"] = splitters;
  j["parts"] = nlohmann::json::array();
  for (const Part& p : parts) {
    j["parts"].push_back({{"file", p.file},
                          {"users", p.users},
                          {"bytes", p.bytes},
                          {"checksum", absl::StrFormat("%016x", p.checksum)}});
  }
  const std::string text = j.dump(1) + "\n";
  return WriteFileAtomically(path, [&](const AppendFn& append) { return append(text); });
}

uint64_t PartChecksum(const LoadedSnapshot& snapshot) {
  std::vector<uint64_t> sums;
  for (const SnapshotSection& s : snapshot.sections) sums.push_back(s.checksum);
  // The host is little-endian (the snapshot format assumes it too).
  return SnapshotChecksum(reinterpret_cast<const char*>(sums.data()), sums.size() * 8,
                          kSnapshotBlockSize);
}

}  // namespace fanout
