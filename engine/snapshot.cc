// Copyright 2026 The fan-out engine authors.

#include "engine/snapshot.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <xxhash.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <string>
#include <vector>
#include <limits>
#include <utility>

#include "absl/numeric/int128.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "base/atomic_file.h"
#include "base/file_io.h"
#include "base/mapped_file.h"
#include "base/progress.h"
#include "base/status_macros.h"
#include "engine/snapshot_attributes.h"
#include "oneapi/tbb/blocked_range.h"
#include "oneapi/tbb/parallel_for.h"
#include "oneapi/tbb/parallel_reduce.h"
#include "s2/s2cell_id.h"
#include "s2/s2latlng.h"

namespace fanout {
namespace {

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "the snapshot format is little-endian");

constexpr uint32_t kSectionCount = 3;  // version 1; version 2 adds "attrs"
constexpr uint32_t kMaxSectionCount = 4;
constexpr uint64_t kAlign = 64;
constexpr char kSectionNames[kMaxSectionCount][16] = {"meta", "cells", "users", "attrs"};
constexpr int kMeta = 0, kCells = 1, kUsers = 2, kAttrs = 3;

struct FileHeader {
  char magic[8];
  uint32_t version;
  uint32_t header_size;
  uint64_t file_size;
  uint64_t user_count;
  uint32_t section_count;
  uint32_t block_size;
  uint64_t table_checksum;
  uint64_t reserved;
  uint64_t header_checksum;
};
static_assert(sizeof(FileHeader) == kSnapshotHeaderSize, "header layout");

struct TableEntry {
  char name[16];
  uint64_t offset;
  uint64_t size;
  uint64_t checksum;
  uint64_t reserved[3];
};
static_assert(sizeof(TableEntry) == 64, "table entry layout");

struct MetaRecord {
  uint64_t input_rows;
  uint64_t duplicate_rows;
  int32_t min_lat_e7, max_lat_e7, min_lng_e7, max_lng_e7;
  double build_seconds;
  int64_t created_unix_s;
  uint64_t flags;
  uint64_t reserved;
};
static_assert(sizeof(MetaRecord) == 64, "meta layout");
constexpr uint64_t kFlagBounds = 1;

uint64_t AlignUp(uint64_t x) { return (x + kAlign - 1) / kAlign * kAlign; }

uint64_t HeaderChecksum(const FileHeader& h) {
  return XXH3_64bits(&h, offsetof(FileHeader, header_checksum));
}

absl::Status Damaged(const std::string& path, absl::string_view section, absl::string_view what) {
  return absl::DataLossError(
      absl::StrCat("snapshot ", path, ": section '", section, "': ", what));
}

struct Bounds {
  int32_t min_lat = std::numeric_limits<int32_t>::max();
  int32_t max_lat = std::numeric_limits<int32_t>::min();
  int32_t min_lng = std::numeric_limits<int32_t>::max();
  int32_t max_lng = std::numeric_limits<int32_t>::min();
  void Add(int32_t lat, int32_t lng) {
    min_lat = std::min(min_lat, lat);
    max_lat = std::max(max_lat, lat);
    min_lng = std::min(min_lng, lng);
    max_lng = std::max(max_lng, lng);
  }
  void Add(const Bounds& o) {
    if (o.min_lat > o.max_lat) return;
    Add(o.min_lat, o.min_lng);
    Add(o.max_lat, o.max_lng);
  }
  void Store(SnapshotMetadata* meta) const {
    meta->has_bounds = min_lat <= max_lat;
    if (!meta->has_bounds) return;
    meta->min_lat_e7 = min_lat;
    meta->max_lat_e7 = max_lat;
    meta->min_lng_e7 = min_lng;
    meta->max_lng_e7 = max_lng;
  }
};

template <typename AddRange>
Bounds ParallelBounds(size_t n, AddRange add_range) {
  return tbb::parallel_reduce(
      tbb::blocked_range<size_t>(0, n, 1 << 16), Bounds(),
      [&](const auto& r, Bounds b) {
        add_range(r.begin(), r.end(), &b);
        return b;
      },
      [](Bounds a, const Bounds& b) {
        a.Add(b);
        return a;
      });
}

}  // namespace

uint64_t SnapshotChecksum(const char* bytes, size_t size, uint32_t block_size) {
  if (size == 0) return XXH3_64bits(bytes, 0);
  const size_t blocks = (size + block_size - 1) / block_size;
  std::vector<uint64_t> hashes(blocks);
  tbb::parallel_for(size_t{0}, blocks, [&](size_t b) {
    size_t begin = b * block_size;
    hashes[b] = XXH3_64bits(bytes + begin, std::min<size_t>(block_size, size - begin));
  });
  return XXH3_64bits(hashes.data(), hashes.size() * sizeof(uint64_t));
}

void SetBoundsFromRecords(absl::Span<const UserRecord> rows, SnapshotMetadata* meta) {
  ParallelBounds(rows.size(), [&](size_t b, size_t e, Bounds* out) {
    for (size_t i = b; i < e; ++i) out->Add(rows[i].lat_e7, rows[i].lng_e7);
  }).Store(meta);
}

namespace {

// Where the sections go for n users (checksums not yet set), and the
// file's size.
// `count` is 3, or 4 with an attrs section of `attrs_size` bytes.
uint64_t LayOut(uint64_t n, TableEntry table[kMaxSectionCount], uint32_t count = kSectionCount,
                uint64_t attrs_size = 0) {
  const uint64_t sizes[kMaxSectionCount] = {sizeof(MetaRecord), n * 8, n * 8, attrs_size};
  uint64_t offset = AlignUp(kSnapshotHeaderSize + count * sizeof(TableEntry));
  for (uint32_t s = 0; s < count; ++s) {
    table[s] = TableEntry{};
    std::memcpy(table[s].name, kSectionNames[s], sizeof(table[s].name));
    table[s].offset = offset;
    table[s].size = sizes[s];
    offset = AlignUp(offset + sizes[s]);
  }
  return table[count - 1].offset + sizes[count - 1];
}

// The meta record; the creation time is now unless given.
MetaRecord MakeMetaRecord(const SnapshotMetadata& meta) {
  MetaRecord m{};
  m.input_rows = meta.input_rows;
  m.duplicate_rows = meta.duplicate_rows;
  m.min_lat_e7 = meta.min_lat_e7;
  m.max_lat_e7 = meta.max_lat_e7;
  m.min_lng_e7 = meta.min_lng_e7;
  m.max_lng_e7 = meta.max_lng_e7;
  m.build_seconds = meta.build_seconds;
  m.created_unix_s =
      meta.created_unix_s != 0 ? meta.created_unix_s : absl::ToUnixSeconds(absl::Now());
  m.flags = meta.has_bounds ? kFlagBounds : 0;
  return m;
}

// The header of a file laid out as `table` (checksums set).
FileHeader MakeHeader(uint64_t n, uint64_t file_size, const TableEntry table[kMaxSectionCount],
                      uint32_t count = kSectionCount) {
  FileHeader h{};
  std::memcpy(h.magic, kSnapshotMagic, sizeof(h.magic));
  h.version = count == kSectionCount ? kSnapshotVersion : kSnapshotVersionWithAttributes;
  h.header_size = kSnapshotHeaderSize;
  h.file_size = file_size;
  h.user_count = n;
  h.section_count = count;
  h.block_size = kSnapshotBlockSize;
  h.table_checksum = SnapshotChecksum(reinterpret_cast<const char*>(table),
                                      count * sizeof(TableEntry), kSnapshotBlockSize);
  h.header_checksum = HeaderChecksum(h);
  return h;
}

Bounds CellBounds(const uint64_t* cells, size_t n) {
  Bounds b;
  for (size_t i = 0; i < n; ++i) {
    S2LatLng ll = S2CellId(cells[i]).ToLatLng();
    b.Add(ll.lat().e7(), ll.lng().e7());
  }
  return b;
}

absl::Status PwriteAll(int fd, const char* p, uint64_t size, uint64_t offset,
                       const std::string& path) {
  while (size > 0) {
    const ssize_t w =
        ::pwrite(fd, p, std::min<uint64_t>(size, 1 << 30), static_cast<off_t>(offset));
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return ErrnoError("cannot write", path);
    p += w;
    size -= static_cast<uint64_t>(w);
    offset += static_cast<uint64_t>(w);
  }
  return absl::OkStatus();
}

std::string FolderOf(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

}  // namespace

absl::Status WriteSnapshot(const std::string& path, const LocationIndex& index,
                           const SnapshotMetadata& meta_in, const SnapshotWriteOptions& options,
                           const UserAttributes* attributes) {
  const SortedRun run = index.run();
  const uint64_t n = run.size();
  SnapshotMetadata meta = meta_in;
  if (!meta.has_bounds) {
    ParallelBounds(n, [&](size_t b, size_t e, Bounds* out) {
      out->Add(CellBounds(run.cells.data() + b, e - b));
    }).Store(&meta);
  }
  const MetaRecord m = MakeMetaRecord(meta);
  // The optional attrs section (snapshot_attributes.h): only when there
  // are attributes, so a snapshot without them is version 1, as before.
  std::string attrs;
  if (attributes != nullptr && attributes->kinds().any()) {
    if (attributes->size() != n) {
      return absl::InvalidArgumentError(absl::StrCat("attributes for ", attributes->size(),
                                                     " users, but the index has ", n));
    }
    attrs = EncodeAttributeSection(*attributes);
  }
  const uint32_t count = attrs.empty() ? kSectionCount : kMaxSectionCount;
  const char* payload[kMaxSectionCount] = {reinterpret_cast<const char*>(&m),
                                           reinterpret_cast<const char*>(run.cells.data()),
                                           reinterpret_cast<const char*>(run.users.data()),
                                           attrs.data()};
  TableEntry table[kMaxSectionCount];
  const uint64_t file_size = LayOut(n, table, count, attrs.size());
  for (uint32_t s = 0; s < count; ++s) {
    table[s].checksum = SnapshotChecksum(payload[s], table[s].size, kSnapshotBlockSize);
  }
  const FileHeader h = MakeHeader(n, file_size, table, count);

  Progress progress("writing snapshot", file_size, "bytes", options.show_progress);
  return WriteFileAtomically(path, [&](const AppendFn& append) -> absl::Status {
    static const char kZeros[kAlign] = {};
    uint64_t written = 0;
    auto put = [&](const char* p, uint64_t size) -> absl::Status {
      constexpr uint64_t kChunk = 64 << 20;  // progress granularity
      for (uint64_t done = 0; done < size;) {
        uint64_t len = std::min(kChunk, size - done);
        RETURN_IF_ERROR(append(absl::string_view(p + done, len)));
        done += len;
        written += len;
        progress.Add(len);
      }
      return absl::OkStatus();
    };
    RETURN_IF_ERROR(put(reinterpret_cast<const char*>(&h), sizeof(h)));
    RETURN_IF_ERROR(put(reinterpret_cast<const char*>(table), count * sizeof(TableEntry)));
    for (uint32_t s = 0; s < count; ++s) {
      RETURN_IF_ERROR(put(kZeros, table[s].offset - written));
      RETURN_IF_ERROR(put(payload[s], table[s].size));
    }
    progress.Finish();
    return absl::OkStatus();
  });
}

absl::Status WriteSnapshotStreamed(const std::string& path, const SnapshotColumnSource& source,
                                   const SnapshotMetadata& meta_in,
                                   const SnapshotWriteOptions& options) {
  RETURN_IF_ERROR(CheckOutputFile(path));
  RemoveStaleTempFiles(path);
  // 1. Where each part goes.
  const size_t parts = source.parts();
  std::vector<uint64_t> at(parts + 1, 0);
  tbb::parallel_for(size_t{0}, parts, [&](size_t p) { at[p + 1] = source.Count(p); });
  for (size_t p = 0; p < parts; ++p) at[p + 1] += at[p];
  const uint64_t n = at[parts];
  TableEntry table[kMaxSectionCount];
  const uint64_t file_size = LayOut(n, table);

  const std::string tmp = TempPathFor(path);
  const int fd = ::open(tmp.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return ErrnoError("cannot create", tmp);
  auto fail = [&](absl::Status st) {
    ::close(fd);
    ::unlink(tmp.c_str());
    return st;
  };
  // The gaps read as zeros.
  if (::ftruncate(fd, static_cast<off_t>(file_size)) != 0) {
    return fail(ErrnoError("cannot size", tmp));
  }

  // 2. Every part, produced and written at its place in both columns (and
  // the bounds of its cells, unless given).
  Progress progress("writing snapshot", n, "users", options.show_progress);
  std::mutex error_mu;
  absl::Status error;
  std::vector<Bounds> bounds(parts);
  const bool want_bounds = !meta_in.has_bounds;
  tbb::parallel_for(size_t{0}, parts, [&](size_t p) {
    constexpr size_t kBuffer = size_t{1} << 16;
    std::vector<uint64_t> cells, users;
    cells.reserve(kBuffer);
    users.reserve(kBuffer);
    uint64_t o = at[p];
    absl::Status st;
    auto flush = [&] {
      if (cells.empty()) return;
      if (want_bounds) bounds[p].Add(CellBounds(cells.data(), cells.size()));
      if (st.ok()) {
        st = PwriteAll(fd, reinterpret_cast<const char*>(cells.data()), cells.size() * 8,
                       table[kCells].offset + o * 8, tmp);
      }
      if (st.ok()) {
        st = PwriteAll(fd, reinterpret_cast<const char*>(users.data()), users.size() * 8,
                       table[kUsers].offset + o * 8, tmp);
      }
      progress.Add(cells.size());
      o += cells.size();
      cells.clear();
      users.clear();
    };
    source.Produce(p, [&](const uint64_t* c, const uint64_t* u, size_t k) {
      for (size_t i = 0; i < k; ++i) {
        cells.push_back(c[i]);
        users.push_back(u[i]);
        if (cells.size() == kBuffer) flush();
      }
    });
    flush();
    if (st.ok() && o != at[p + 1]) {
      st = absl::InternalError(absl::StrCat("snapshot part ", p, " produced ", o - at[p],
                                            " entries, counted ", at[p + 1] - at[p]));
    }
    if (!st.ok()) {
      std::lock_guard<std::mutex> lock(error_mu);
      if (error.ok()) error = st;
    }
  });
  progress.Finish();
  if (!error.ok()) return fail(error);

  // 3. The checksums, over what was written (from the page cache), then
  // the meta record, table and header.
  SnapshotMetadata meta = meta_in;
  if (options.input_rows_are_users) meta.input_rows = n;
  if (want_bounds) {
    Bounds all;
    for (const Bounds& b : bounds) all.Add(b);
    all.Store(&meta);
  }
  const MetaRecord m = MakeMetaRecord(meta);
  table[kMeta].checksum =
      SnapshotChecksum(reinterpret_cast<const char*>(&m), sizeof(m), kSnapshotBlockSize);
  if (n > 0) {
    void* mapped = ::mmap(nullptr, file_size, PROT_READ, MAP_SHARED, fd, 0);
    if (mapped == MAP_FAILED) return fail(ErrnoError("cannot map", tmp));
    const char* data = static_cast<const char*>(mapped);
    for (int s : {kCells, kUsers}) {
      table[s].checksum =
          SnapshotChecksum(data + table[s].offset, table[s].size, kSnapshotBlockSize);
    }
    ::munmap(mapped, file_size);
  } else {
    for (int s : {kCells, kUsers}) {
      table[s].checksum = SnapshotChecksum(nullptr, 0, kSnapshotBlockSize);
    }
  }
  const FileHeader h = MakeHeader(n, file_size, table);
  absl::Status st = PwriteAll(fd, reinterpret_cast<const char*>(&h), sizeof(h), 0, tmp);
  if (st.ok()) {
    st = PwriteAll(fd, reinterpret_cast<const char*>(table), kSectionCount * sizeof(TableEntry),
                   sizeof(h), tmp);
  }
  if (st.ok()) {
    st = PwriteAll(fd, reinterpret_cast<const char*>(&m), sizeof(m), table[kMeta].offset, tmp);
  }
  if (!st.ok()) return fail(st);

  // 4. Durable, then in place (as WriteFileAtomically).
  if (::fsync(fd) != 0) return fail(ErrnoError("cannot fsync", tmp));
  if (::close(fd) != 0) {
    ::unlink(tmp.c_str());
    return ErrnoError("cannot close", tmp);
  }
  auto drop = [&](absl::Status st) {
    ::unlink(tmp.c_str());
    return st;
  };
  if (absl::Status ok = CheckOutputFile(path); !ok.ok()) return drop(ok);
  if (absl::Status ok = MappedFile::CheckAllIntact(); !ok.ok()) return drop(ok);
  if (::rename(tmp.c_str(), path.c_str()) != 0) return drop(ErrnoError("cannot rename over", path));
  return SyncDirectory(FolderOf(path));
}

namespace {

// LoadSnapshot after the mapping: every check of the layout above.
absl::StatusOr<LoadedSnapshot> LoadFromMapping(const std::string& path,
                                               std::shared_ptr<const MappedFile> file,
                                               const SnapshotLoadOptions& options, int64_t t0) {
  const char* data = file->data();
  const uint64_t actual = file->size();

  // Header.
  if (actual < kSnapshotHeaderSize) {
    return Damaged(path, "header", absl::StrCat("the file has ", actual, " bytes, less than the ",
                                                kSnapshotHeaderSize,
                                                "-byte header (truncated or not a snapshot)"));
  }
  FileHeader h;
  std::memcpy(&h, data, sizeof(h));
  if (std::memcmp(h.magic, kSnapshotMagic, sizeof(h.magic)) != 0) {
    return Damaged(path, "header", "bad magic (not a fanout snapshot)");
  }
  if (h.version != kSnapshotVersion && h.version != kSnapshotVersionWithAttributes) {
    return Damaged(path, "header", absl::StrCat("format version ", h.version,
                                                " is not supported (this build reads versions ",
                                                kSnapshotVersion, " and ",
                                                kSnapshotVersionWithAttributes, ")"));
  }
  const uint32_t count = h.version == kSnapshotVersion ? kSectionCount : kMaxSectionCount;
  if (h.header_checksum != HeaderChecksum(h)) {
    return Damaged(path, "header", "checksum mismatch (file damaged)");
  }
  if (h.header_size != kSnapshotHeaderSize || h.section_count != count ||
      h.block_size < 4096 || h.block_size > (1u << 30) ||
      (h.block_size & (h.block_size - 1)) != 0 || h.reserved != 0) {
    return Damaged(path, "header", absl::StrCat("unexpected header fields for version ", h.version));
  }
  if (h.user_count > (uint64_t{1} << 58)) {
    // In 128 bits: the byte figure of a hostile count overflows 64.
    return Damaged(path, "header",
                   absl::StrCat("user count ", h.user_count, " needs ",
                                absl::StrFormat("%d", absl::uint128(h.user_count) * 8),
                                " bytes per column, more than a file can hold"));
  }

  // Section table.
  const uint64_t table_bytes = uint64_t{count} * sizeof(TableEntry);
  if (actual < kSnapshotHeaderSize + table_bytes) {
    return Damaged(path, "section table",
                   absl::StrCat("truncated: the file has ", actual, " bytes, the table ends at ",
                                kSnapshotHeaderSize + table_bytes));
  }
  TableEntry table[kMaxSectionCount];
  std::memcpy(table, data + kSnapshotHeaderSize, table_bytes);
  if (SnapshotChecksum(data + kSnapshotHeaderSize, table_bytes, h.block_size) !=
      h.table_checksum) {
    return Damaged(path, "section table", "checksum mismatch (file damaged)");
  }
  uint64_t expected_offset = AlignUp(kSnapshotHeaderSize + table_bytes);
  for (uint32_t s = 0; s < count; ++s) {
    const TableEntry& e = table[s];
    if (std::memcmp(e.name, kSectionNames[s], sizeof(e.name)) != 0 || e.offset != expected_offset) {
      return Damaged(path, "section table",
                     absl::StrCat("entry ", s, " is not section '", kSectionNames[s],
                                  "' at offset ", expected_offset));
    }
    // The attrs section's size is checked when it is read.
    const uint64_t want = s == kMeta ? sizeof(MetaRecord) : s == kAttrs ? e.size : h.user_count * 8;
    if (e.size != want) {
      return Damaged(path, kSectionNames[s],
                     absl::StrCat("size ", e.size, " does not match ", h.user_count, " users"));
    }
    if (e.offset + e.size > actual) {
      return Damaged(path, kSectionNames[s],
                     absl::StrCat("truncated: the section ends at byte ", e.offset + e.size,
                                  " but the file has ", actual, " bytes"));
    }
    expected_offset = AlignUp(e.offset + e.size);
  }
  const uint64_t end = table[count - 1].offset + table[count - 1].size;
  if (h.file_size != end || actual != end) {
    return Damaged(path, "header",
                   absl::StrCat("the file has ", actual, " bytes; the header says ", h.file_size,
                                " and the sections end at ", end));
  }
  // Gaps between the table and sections: must be zero.
  uint64_t gap_begin = kSnapshotHeaderSize + table_bytes;
  for (uint32_t s = 0; s < count; ++s) {
    for (uint64_t i = gap_begin; i < table[s].offset; ++i) {
      if (data[i] != 0) {
        return Damaged(path, kSectionNames[s],
                       absl::StrCat("padding byte ", i, " before the section is not zero"));
      }
    }
    gap_begin = table[s].offset + table[s].size;
  }
  LoadedSnapshot out;
  out.version = h.version;
  out.file_size = actual;
  for (uint32_t s = 0; s < count; ++s) {
    const TableEntry& e = table[s];
    out.sections.push_back(SnapshotSection{e.name, e.offset, e.size, e.checksum});
  }
  int64_t t1 = absl::GetCurrentTimeNanos();
  out.map_ms = (t1 - t0) * 1e-6;

  // Section checksums; ask the kernel to read everything ahead first, so a
  // cold reload streams from disk instead of faulting page by page.
  if (options.verify_checksums) {
    ::madvise(const_cast<char*>(data), actual, MADV_WILLNEED);
    for (uint32_t s = 0; s < count; ++s) {
      if (SnapshotChecksum(data + table[s].offset, table[s].size, h.block_size) !=
          table[s].checksum) {
        return Damaged(path, kSectionNames[s], "checksum mismatch (file damaged)");
      }
    }
  }
  int64_t t2 = absl::GetCurrentTimeNanos();
  out.checksum_ms = (t2 - t1) * 1e-6;

  MetaRecord m;
  std::memcpy(&m, data + table[kMeta].offset, sizeof(m));
  if ((m.flags & ~kFlagBounds) != 0 || m.reserved != 0) {
    return Damaged(path, "meta", "unknown flags");
  }
  out.metadata.input_rows = m.input_rows;
  out.metadata.duplicate_rows = m.duplicate_rows;
  out.metadata.has_bounds = (m.flags & kFlagBounds) != 0;
  out.metadata.min_lat_e7 = m.min_lat_e7;
  out.metadata.max_lat_e7 = m.max_lat_e7;
  out.metadata.min_lng_e7 = m.min_lng_e7;
  out.metadata.max_lng_e7 = m.max_lng_e7;
  out.metadata.build_seconds = m.build_seconds;
  out.metadata.created_unix_s = m.created_unix_s;

  // The sections are 64-byte aligned in a page-aligned mapping, so the
  // columns are read in place.
  absl::Span<const uint64_t> cells(reinterpret_cast<const uint64_t*>(data + table[kCells].offset),
                                   h.user_count);
  absl::Span<const uint64_t> users(reinterpret_cast<const uint64_t*>(data + table[kUsers].offset),
                                   h.user_count);
  auto index = LocationIndex::FromBorrowedColumns(cells, users, file);
  if (!index.ok()) return Damaged(path, "cells", index.status().message());
  out.index = *std::move(index);
  if (count == kMaxSectionCount) {
    auto attributes = DecodeAttributeSection(data + table[kAttrs].offset, table[kAttrs].size,
                                             h.user_count, file);
    if (!attributes.ok()) return Damaged(path, "attrs", attributes.status().message());
    out.attributes = *std::move(attributes);
  }
  out.order_ms = (absl::GetCurrentTimeNanos() - t2) * 1e-6;
  return out;
}

}  // namespace

absl::StatusOr<LoadedSnapshot> LoadSnapshot(const std::string& path,
                                            const SnapshotLoadOptions& options) {
  int64_t t0 = absl::GetCurrentTimeNanos();
  ASSIGN_OR_RETURN(std::unique_ptr<MappedFile> mapped, MappedFile::Open(path));
  std::shared_ptr<const MappedFile> file(std::move(mapped));
  absl::StatusOr<LoadedSnapshot> out = LoadFromMapping(path, file, options, t0);
  // A file that shrank while it was checked read as zeros past its new end:
  // that, not the damage it may seem to show, is the error.
  RETURN_IF_ERROR(file->CheckIntact());
  return out;
}

CellLevelHistogram ComputeCellLevelHistogram(const SortedRun& run) {
  // For neighbours a < b in the sorted column, the parents at level L differ
  // exactly when a ^ b has a set bit among the top 3 + 2L bits; so one pass
  // counts, per level, the entries that start a new cell of that level.
  struct Acc {
    std::array<uint64_t, 32> starts{};  // starts[L]: first differing level L
    std::array<uint64_t, 6> faces{};
  };
  const size_t n = run.size();
  Acc total = tbb::parallel_reduce(
      tbb::blocked_range<size_t>(0, n, 1 << 16), Acc(),
      [&](const auto& r, Acc acc) {
        for (size_t i = r.begin(); i < r.end(); ++i) {
          const uint64_t c = run.cells[i];
          ++acc.faces[std::min<uint64_t>(c >> 61, 5)];
          if (i == 0) continue;
          const uint64_t x = c ^ run.cells[i - 1];
          if (x == 0) {
            ++acc.starts[31];  // same leaf cell: no new cell at any level
            continue;
          }
          const int high = 63 - __builtin_clzll(x);  // in 0..63
          const int level = high >= 61 ? 0 : (61 - high + 1) / 2;
          ++acc.starts[std::min(level, 30)];
        }
        return acc;
      },
      [](Acc a, const Acc& b) {
        for (size_t i = 0; i < a.starts.size(); ++i) a.starts[i] += b.starts[i];
        for (size_t i = 0; i < a.faces.size(); ++i) a.faces[i] += b.faces[i];
        return a;
      });
  CellLevelHistogram hist;
  hist.per_face = total.faces;
  uint64_t distinct = n > 0 ? 1 : 0;
  for (int level = 0; level <= 30; ++level) {
    distinct += total.starts[level];
    hist.distinct_cells[level] = distinct;
  }
  return hist;
}

}  // namespace fanout
