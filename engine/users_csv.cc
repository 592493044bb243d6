// Copyright 2026 The fan-out engine authors.

#include "engine/users_csv.h"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "base/file_io.h"
#include "base/mapped_file.h"
#include "base/progress.h"
#include "base/status_macros.h"
#include "base/atomic_file.h"
#include "oneapi/tbb/parallel_for.h"

namespace fanout {
namespace {

constexpr size_t kChunkBytes = 8 << 20;


// Parses one data line; on failure returns the reason (without location).
bool ParseRow(absl::string_view line, UserRecord* out, std::string* reason) {
  // Fields: user_id, lat, lng, then anything.
  absl::string_view fields[3];
  size_t pos = 0;
  for (int f = 0; f < 3; ++f) {
    size_t comma = line.find(',', pos);
    if (comma == absl::string_view::npos) {
      if (f < 2) {
        *reason = absl::StrCat("expected at least 3 fields (user_id,lat,lng), got ", f + 1);
        return false;
      }
      fields[f] = line.substr(pos);
      pos = line.size();
    } else {
      fields[f] = line.substr(pos, comma - pos);
      pos = comma + 1;
    }
  }
  uint64_t id;
  {
    absl::string_view s = fields[0];
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), id);
    if (s.empty() || ec != std::errc() || p != s.data() + s.size()) {
      *reason = absl::StrCat("user_id ", QuoteForMessage(s), " is not an unsigned 64-bit integer");
      return false;
    }
  }
  double v[2];
  const char* names[2] = {"lat", "lng"};
  const double limits[2] = {90, 180};
  for (int k = 0; k < 2; ++k) {
    absl::string_view s = fields[k + 1];
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v[k]);
    if (s.empty() || ec != std::errc() || p != s.data() + s.size() || !std::isfinite(v[k])) {
      *reason = absl::StrCat(names[k], " ", QuoteForMessage(s), " is not a decimal number");
      return false;
    }
    if (v[k] < -limits[k] || v[k] > limits[k]) {
      *reason = absl::StrCat(names[k], " ", QuoteForMessage(s), " is out of range [-", limits[k], ", ",
                             limits[k], "]");
      return false;
    }
  }
  *out = UserRecord::FromDegrees(id, v[0], v[1]);
  return true;
}

struct Chunk {
  size_t begin = 0, end = 0;  // byte range, starting at a line start
  uint64_t lines = 0;         // lines in the chunk
  std::vector<UserRecord> records;
  uint64_t bad = 0;
  uint64_t first_bad_line = 0;  // chunk-local, 1-based
  std::string first_bad_reason;
};

void ParseChunk(absl::string_view text, bool skip_bad_rows, Chunk* chunk) {
  size_t pos = chunk->begin;
  while (pos < chunk->end) {
    size_t nl = text.find('\n', pos);
    size_t line_end = nl == absl::string_view::npos || nl > chunk->end ? chunk->end : nl;
    absl::string_view line = text.substr(pos, line_end - pos);
    pos = line_end + 1;
    ++chunk->lines;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) continue;
    UserRecord record;
    std::string reason;
    if (ParseRow(line, &record, &reason)) {
      chunk->records.push_back(record);
    } else {
      if (chunk->bad++ == 0) {
        chunk->first_bad_line = chunk->lines;
        chunk->first_bad_reason = std::move(reason);
      }
      if (!skip_bad_rows) return;  // The first error is all we report.
    }
  }
}

absl::Status CheckHeader(absl::string_view header, absl::string_view name,
                         std::vector<std::string>* columns) {
  if (!header.empty() && header.back() == '\r') header.remove_suffix(1);
  if (header.size() >= 3 && header.substr(0, 3) == "\xEF\xBB\xBF") header.remove_prefix(3);
  std::vector<std::string> cols = absl::StrSplit(header, ',');
  for (auto& c : cols) c = std::string(absl::StripAsciiWhitespace(c));
  bool ok = cols.size() >= 3 && absl::AsciiStrToLower(cols[0]) == "user_id" &&
            absl::AsciiStrToLower(cols[1]) == "lat" &&
            (absl::AsciiStrToLower(cols[2]) == "lng" || absl::AsciiStrToLower(cols[2]) == "lon");
  if (!ok) {
    return absl::InvalidArgumentError(absl::StrCat(
        name, ":1: header must start with user_id,lat,lng; got ", QuoteForMessage(header)));
  }
  *columns = std::move(cols);
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::vector<UserRecord>> ParseUsersCsv(absl::string_view text,
                                                      absl::string_view name,
                                                      const UsersCsvOptions& options,
                                                      UsersCsvStats* stats) {
  size_t header_end = text.find('\n');
  absl::string_view header = text.substr(0, header_end);
  if (text.empty()) return absl::InvalidArgumentError(absl::StrCat(name, ": empty file, no header"));
  std::vector<std::string> columns;
  RETURN_IF_ERROR(CheckHeader(header, name, &columns));
  size_t body = header_end == absl::string_view::npos ? text.size() : header_end + 1;

  // Cut the body into chunks at line starts.
  std::vector<Chunk> chunks;
  for (size_t b = body; b < text.size();) {
    size_t e = std::min(text.size(), b + kChunkBytes);
    if (e < text.size()) {
      size_t nl = text.find('\n', e);
      e = nl == absl::string_view::npos ? text.size() : nl + 1;
    }
    Chunk c;
    c.begin = b;
    c.end = e;
    chunks.push_back(std::move(c));
    b = e;
  }
  Progress progress("reading users", text.size(), "bytes", options.show_progress);
  tbb::parallel_for(size_t{0}, chunks.size(), [&](size_t i) {
    ParseChunk(text, options.skip_bad_rows, &chunks[i]);
    progress.Add(chunks[i].end - chunks[i].begin);
  });
  progress.Finish();

  uint64_t line_base = 1;  // the header line
  uint64_t bad = 0, first_bad_line = 0, total = 0;
  std::string first_bad_reason;
  for (const Chunk& c : chunks) {
    if (c.bad > 0 && first_bad_line == 0) {
      first_bad_line = line_base + c.first_bad_line;
      first_bad_reason = c.first_bad_reason;
      if (!options.skip_bad_rows) {
        return absl::InvalidArgumentError(
            absl::StrCat(name, ":", first_bad_line, ": ", first_bad_reason));
      }
    }
    line_base += c.lines;
    bad += c.bad;
    total += c.records.size();
  }
  std::vector<UserRecord> records;
  records.reserve(total);
  for (Chunk& c : chunks) {
    records.insert(records.end(), c.records.begin(), c.records.end());
    std::vector<UserRecord>().swap(c.records);
  }
  if (stats != nullptr) {
    stats->rows = records.size();
    stats->bad_rows = bad;
    stats->first_bad_line = first_bad_line;
    stats->first_bad_reason = first_bad_reason;
    stats->columns = std::move(columns);
  }
  return records;
}

absl::StatusOr<std::vector<UserRecord>> ReadUsersCsv(const std::string& path,
                                                     const UsersCsvOptions& options,
                                                     UsersCsvStats* stats) {
  ASSIGN_OR_RETURN(std::unique_ptr<MappedFile> file, MappedFile::Open(path));
  file->AdviseSequential();
  absl::StatusOr<std::vector<UserRecord>> records =
      ParseUsersCsv(file->view(), path, options, stats);
  // A file that shrank while it was parsed read as zeros past its new end:
  // that, not the parse error it may have caused, is the error.
  RETURN_IF_ERROR(file->CheckIntact());
  return records;
}

absl::Status WriteUsersCsv(const std::string& path, const std::vector<UserRecord>& records) {
  return WriteFileAtomically(path, [&](const AppendFn& append) {
    RETURN_IF_ERROR(append("user_id,lat,lng\n"));
    std::string buffer;
    buffer.reserve(1 << 20);
    char line[64];
    for (const UserRecord& r : records) {
      int n = std::snprintf(line, sizeof(line), "%llu,%.7f,%.7f\n",
                            static_cast<unsigned long long>(r.user_id), r.lat(), r.lng());
      buffer.append(line, n);
      if (buffer.size() > (1 << 20) - 64) {
        RETURN_IF_ERROR(append(buffer));
        buffer.clear();
      }
    }
    return append(buffer);
  });
}

}  // namespace fanout
