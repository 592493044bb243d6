// Copyright 2026 The fan-out engine authors.

#include "engine/users_csv.h"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/inlined_vector.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "base/file_io.h"
#include "base/mapped_file.h"
#include "base/progress.h"
#include "base/status_macros.h"
#include "base/atomic_file.h"
#include "engine/user_attributes.h"
#include "oneapi/tbb/parallel_for.h"

namespace fanout {
namespace {

constexpr size_t kChunkBytes = 8 << 20;


// One row's attributes as parsed: the tag (normalised, empty for none) and
// updated_at (0 for unknown).
struct RowAttributes {
  std::string lang;
  uint32_t updated_at = 0;
};

// Parses one data line; on failure returns the reason (without location).
bool ParseRow(absl::string_view line, const AttributeColumns& attr_cols, UserRecord* out,
              RowAttributes* attrs, std::string* reason) {
  // Fields: user_id, lat, lng, then anything (read as far as the last
  // attribute column asked for).
  const int wanted = std::max(3, attr_cols.last() + 1);
  absl::InlinedVector<absl::string_view, 8> fields(static_cast<size_t>(wanted));
  size_t pos = 0;
  for (int f = 0; f < wanted; ++f) {
    if (pos > line.size()) {
      // The row ends before this field: a missing attribute is empty; a
      // missing coordinate is an error.
      if (f < 3) {
        *reason = absl::StrCat("expected at least 3 fields (user_id,lat,lng), got ", f);
        return false;
      }
      fields[f] = absl::string_view();
      continue;
    }
    size_t comma = line.find(',', pos);
    if (comma == absl::string_view::npos) {
      if (f < 2) {
        *reason = absl::StrCat("expected at least 3 fields (user_id,lat,lng), got ", f + 1);
        return false;
      }
      fields[f] = line.substr(pos);
      pos = line.size() + 1;
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
  if (attr_cols.lang >= 0) {
    absl::StatusOr<std::string> tag = ParseLangField(fields[attr_cols.lang], attr_cols.lang);
    if (!tag.ok()) {
      *reason = std::string(tag.status().message());
      return false;
    }
    attrs->lang = *std::move(tag);
  }
  if (attr_cols.updated_at >= 0) {
    absl::StatusOr<uint32_t> t =
        ParseUpdatedAtField(fields[attr_cols.updated_at], attr_cols.updated_at);
    if (!t.ok()) {
      *reason = std::string(t.status().message());
      return false;
    }
    attrs->updated_at = *t;
  }
  *out = UserRecord::FromDegrees(id, v[0], v[1]);
  return true;
}

struct Chunk {
  size_t begin = 0, end = 0;  // byte range, starting at a line start
  uint64_t lines = 0;         // lines in the chunk
  std::vector<UserRecord> records;
  // With attribute columns: per kept record, its chunk-local language code
  // (0: none) and updated_at; the chunk's tags with the line each first
  // appeared on (chunk-local).
  std::vector<uint32_t> lang;
  std::vector<uint32_t> updated_at;
  std::vector<std::string> tags;
  std::vector<uint64_t> tag_lines;
  absl::flat_hash_map<std::string, uint32_t> tag_codes;
  uint64_t bad = 0;
  uint64_t first_bad_line = 0;  // chunk-local, 1-based
  std::string first_bad_reason;
};

void ParseChunk(absl::string_view text, bool skip_bad_rows, const AttributeColumns& attr_cols,
                Chunk* chunk) {
  RowAttributes attrs;
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
    if (ParseRow(line, attr_cols, &record, &attrs, &reason)) {
      chunk->records.push_back(record);
      if (attr_cols.lang >= 0) {
        uint32_t code = 0;  // chunk-local, made global when chunks are merged
        if (!attrs.lang.empty()) {
          auto [it, added] = chunk->tag_codes.try_emplace(
              attrs.lang, static_cast<uint32_t>(chunk->tags.size() + 1));
          if (added) {
            chunk->tags.push_back(attrs.lang);
            chunk->tag_lines.push_back(chunk->lines);
          }
          code = it->second;
        }
        chunk->lang.push_back(code);
      }
      if (attr_cols.updated_at >= 0) chunk->updated_at.push_back(attrs.updated_at);
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

absl::StatusOr<std::vector<UserRecord>> ParseUsersCsv(
    absl::string_view text, absl::string_view name, const UsersCsvOptions& options,
    UsersCsvStats* stats, std::shared_ptr<const UserAttributes>* attributes) {
  size_t header_end = text.find('\n');
  absl::string_view header = text.substr(0, header_end);
  if (text.empty()) return absl::InvalidArgumentError(absl::StrCat(name, ": empty file, no header"));
  std::vector<std::string> columns;
  RETURN_IF_ERROR(CheckHeader(header, name, &columns));
  AttributeColumns attr_cols;
  if (attributes != nullptr) {
    attributes->reset();
    attr_cols = FindAttributeColumns(std::vector<absl::string_view>(columns.begin(), columns.end()));
  }
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
    ParseChunk(text, options.skip_bad_rows, attr_cols, &chunks[i]);
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
  // One dictionary for the file, in order of first appearance; the chunks'
  // codes mapped to it.
  LanguageDictionary dictionary;
  std::vector<uint8_t> lang;
  std::vector<uint32_t> updated_at;
  if (attr_cols.lang >= 0) lang.reserve(total);
  if (attr_cols.updated_at >= 0) updated_at.reserve(total);
  line_base = 1;
  for (Chunk& c : chunks) {
    std::vector<uint8_t> to_global(c.tags.size() + 1, 0);
    for (size_t k = 0; k < c.tags.size(); ++k) {
      absl::StatusOr<uint8_t> code = dictionary.CodeOf(c.tags[k]);
      if (!code.ok()) {
        return absl::InvalidArgumentError(absl::StrCat(name, ":", line_base + c.tag_lines[k],
                                                       ": column ", attr_cols.lang + 1,
                                                       " (lang): ", code.status().message()));
      }
      to_global[k + 1] = *code;
    }
    for (uint32_t local : c.lang) lang.push_back(to_global[local]);
    updated_at.insert(updated_at.end(), c.updated_at.begin(), c.updated_at.end());
    std::vector<uint32_t>().swap(c.lang);
    std::vector<uint32_t>().swap(c.updated_at);
    line_base += c.lines;
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
  if (attributes != nullptr && (attr_cols.lang >= 0 || attr_cols.updated_at >= 0)) {
    UserAttributes::Kinds kinds;
    kinds.lang = attr_cols.lang >= 0;
    kinds.updated_at = attr_cols.updated_at >= 0;
    *attributes = UserAttributes::Own(kinds, dictionary.tags(), std::move(lang),
                                      std::move(updated_at), records.size());
  }
  return records;
}

absl::StatusOr<std::vector<UserRecord>> ReadUsersCsv(
    const std::string& path, const UsersCsvOptions& options, UsersCsvStats* stats,
    std::shared_ptr<const UserAttributes>* attributes) {
  ASSIGN_OR_RETURN(std::unique_ptr<MappedFile> file, MappedFile::Open(path));
  file->AdviseSequential();
  absl::StatusOr<std::vector<UserRecord>> records =
      ParseUsersCsv(file->view(), path, options, stats, attributes);
  // A file that shrank while it was parsed read as zeros past its new end:
  // that, not the parse error it may have caused, is the error.
  RETURN_IF_ERROR(file->CheckIntact());
  return records;
}

absl::Status WriteUsersCsv(const std::string& path, const std::vector<UserRecord>& records,
                          const UserAttributes* attributes) {
  const bool with_lang = attributes != nullptr && attributes->has_lang();
  const bool with_updated = attributes != nullptr && attributes->has_updated_at();
  return WriteFileAtomically(path, [&](const AppendFn& append) {
    RETURN_IF_ERROR(append(absl::StrCat("user_id,lat,lng", with_lang ? ",lang" : "",
                                        with_updated ? ",updated_at" : "", "\n")));
    std::string buffer;
    buffer.reserve(1 << 20);
    char line[64];
    for (const UserRecord& r : records) {
      const size_t i = static_cast<size_t>(&r - records.data());
      int n = std::snprintf(line, sizeof(line), "%llu,%.7f,%.7f",
                            static_cast<unsigned long long>(r.user_id), r.lat(), r.lng());
      buffer.append(line, n);
      if (with_lang) absl::StrAppend(&buffer, ",", attributes->LanguageOf(i));
      if (with_updated) {
        buffer.push_back(',');
        if (attributes->updated_at()[i] != 0) absl::StrAppend(&buffer, attributes->updated_at()[i]);
      }
      buffer.push_back('\n');
      if (buffer.size() > (1 << 20) - 64) {
        RETURN_IF_ERROR(append(buffer));
        buffer.clear();
      }
    }
    return append(buffer);
  });
}

}  // namespace fanout
