// Copyright 2026 The fan-out engine authors.
//
// fanout apply --dir DIR --updates FILE [--sync batch|group|none] [--batch N]
//
// Applies an updates file to an engine folder (DESIGN §7), in file order:
// update k of the file (1-based) gets sequence number last_seq + k, where
// last_seq is the folder's when the command starts. The file is either CSV
// (header `user_id,lat,lng`, then optional `lang` and `updated_at` columns
// read as in a users CSV (empty: not given), further columns ignored;
// empty lat and lng remove the user) or the binary users format (`.bin`:
// every record an upsert, with the file's attributes when it has them).
// What an update's attributes do: Engine::Apply, "User attributes". Updates go in batches of N; after each batch is durable per
// --sync, `acked SEQ` is printed on stdout and flushed, so a supervisor
// that reads it knows exactly what survives a crash. A bad row is refused
// naming its line, and nothing of its batch is applied (earlier batches
// stay acknowledged).

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "base/file_io.h"
#include "base/status_macros.h"
#include "engine/engine.h"
#include "engine/user_attributes.h"
#include "engine/users_binary.h"
#include "engine/users_input.h"
#include "tools/cli_flags.h"
#include "tools/cli_util.h"
#include "tools/commands.h"

namespace fanout {
namespace {

absl::StatusOr<SyncPolicy> ParseSync(const std::string& s) {
  if (s == "batch") return SyncPolicy::kBatch;
  if (s == "group") return SyncPolicy::kGroup;
  if (s == "none") return SyncPolicy::kNone;
  return absl::InvalidArgumentError(
      absl::StrCat("--sync must be batch, group or none, got \"", s, "\""));
}

bool ParseDouble(absl::string_view s, double* v) {
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *v);
  return ec == std::errc() && p == s.data() + s.size() && std::isfinite(*v);
}

// A row of a batch with a language tag, its code not yet assigned.
struct PendingTag {
  size_t row;      // in the batch
  uint64_t line;   // in the file
  std::string tag;  // normalised
};

// Language tags' engine codes (Engine::LanguageCode), cached by tag.
class LanguageCodes {
 public:
  explicit LanguageCodes(Engine* engine) : engine_(engine) {}

  // Sets the lang of the pending rows of a batch that has parsed. Tags new
  // to the engine enter its dictionary (durably: Engine::LanguageCode) only
  // when all of the batch's new tags fit, so a refused batch leaves the
  // dictionary as it was. On an error, *bad is the pending row it names.
  absl::Status Assign(absl::Span<const PendingTag> pending, std::vector<LocationUpdate>* batch,
                      size_t* bad) {
    bool all_cached = true;
    for (const PendingTag& p : pending) all_cached = all_cached && codes_.contains(p.tag);
    if (!all_cached) {
      const std::vector<std::string> engine_tags = engine_->Languages();
      absl::flat_hash_set<std::string> known(engine_tags.begin(), engine_tags.end());
      for (size_t i = 0; i < pending.size(); ++i) {
        if (known.insert(pending[i].tag).second &&
            known.size() > UserAttributes::kMaxLanguages) {
          *bad = i;
          return absl::InvalidArgumentError(absl::StrCat(
              "language ", pending[i].tag, ": the engine would have more than ",
              UserAttributes::kMaxLanguages, " language tags, the most it holds"));
        }
      }
    }
    for (size_t i = 0; i < pending.size(); ++i) {
      absl::StatusOr<uint8_t> code = Of(pending[i].tag);
      if (!code.ok()) {
        *bad = i;
        return code.status();
      }
      (*batch)[pending[i].row].lang = *code;
    }
    return absl::OkStatus();
  }

  // One tag's code, added to the engine's dictionary if new (for a file
  // checked whole before anything is applied).
  absl::StatusOr<uint8_t> Of(const std::string& tag) {
    auto it = codes_.find(tag);
    if (it != codes_.end()) return it->second;
    ASSIGN_OR_RETURN(uint8_t code, engine_->LanguageCode(tag));
    codes_.emplace(tag, code);
    return code;
  }

 private:
  Engine* const engine_;
  absl::flat_hash_map<std::string, uint8_t> codes_;
};

// Reads a CSV updates file a line at a time.
class CsvUpdates {
 public:
  static absl::StatusOr<std::unique_ptr<CsvUpdates>> Open(const std::string& path) {
    FILE* f = std::fopen(path.c_str(), "rb");
    if (f == nullptr) {
      if (errno == ENOENT) return absl::NotFoundError(absl::StrCat(path, ": no such file"));
      return ErrnoError("cannot open", path);
    }
    std::unique_ptr<CsvUpdates> r(new CsvUpdates(path, f));
    std::string header;
    if (!r->ReadLine(&header)) {
      return absl::InvalidArgumentError(absl::StrCat(path, ":1: empty file (expected a header "
                                                     "user_id,lat,lng)"));
    }
    std::vector<absl::string_view> cols = absl::StrSplit(header, ',');
    if (cols.size() < 3 || cols[0] != "user_id" || cols[1] != "lat" || cols[2] != "lng") {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ":1: the header must start with user_id,lat,lng"));
    }
    r->columns_ = cols.size();
    const AttributeColumns attr_cols = FindAttributeColumns(cols);
    r->lang_col_ = attr_cols.lang;
    r->updated_col_ = attr_cols.updated_at;
    return r;
  }
  ~CsvUpdates() { std::fclose(f_); }

  // Up to `n` updates into `out` (cleared first); kInvalidArgument naming
  // the line of the first bad row. `out` empty at the end of the file.
  absl::Status Next(size_t n, std::vector<LocationUpdate>* out, LanguageCodes* codes) {
    out->clear();
    std::vector<PendingTag> tags;
    std::string line;
    while (out->size() < n && ReadLine(&line)) {
      std::vector<absl::string_view> cols = absl::StrSplit(line, ',');
      auto bad = [&](absl::string_view why) {
        return absl::InvalidArgumentError(absl::StrCat(path_, ":", line_, ": ", why));
      };
      if (cols.size() != columns_) {
        return bad(absl::StrCat("expected ", columns_, " columns, found ", cols.size()));
      }
      uint64_t id;
      auto [p, ec] = std::from_chars(cols[0].data(), cols[0].data() + cols[0].size(), id);
      if (cols[0].empty() || ec != std::errc() || p != cols[0].data() + cols[0].size()) {
        return bad("user_id is not an unsigned 64-bit integer");
      }
      if (cols[1].empty() && cols[2].empty()) {
        out->push_back(LocationUpdate::Remove(id));
        continue;
      }
      double lat, lng;
      if (!ParseDouble(cols[1], &lat)) return bad("lat is not a number (leave lat and lng empty to remove the user)");
      if (!ParseDouble(cols[2], &lng)) return bad("lng is not a number (leave lat and lng empty to remove the user)");
      if (lat < -90 || lat > 90) return bad("lat out of [-90, 90]");
      if (lng < -180 || lng > 180) return bad("lng out of [-180, 180]");
      LocationUpdate u = LocationUpdate::Upsert(UserRecord::FromDegrees(id, lat, lng));
      if (lang_col_ >= 0) {
        absl::StatusOr<std::string> tag = ParseLangField(cols[lang_col_], lang_col_);
        if (!tag.ok()) return bad(tag.status().message());
        if (!tag->empty()) tags.push_back({out->size(), line_, *std::move(tag)});
      }
      if (updated_col_ >= 0) {
        absl::StatusOr<uint32_t> t = ParseUpdatedAtField(cols[updated_col_], updated_col_);
        if (!t.ok()) return bad(t.status().message());
        u.updated_at = *t;
      }
      out->push_back(u);
    }
    if (std::ferror(f_)) return ErrnoError("cannot read", path_);
    size_t bad_tag = 0;
    const absl::Status assigned = codes->Assign(tags, out, &bad_tag);
    if (!assigned.ok()) {
      return absl::Status(assigned.code(),
                          absl::StrCat(path_, ":", tags[bad_tag].line, ": column ", lang_col_ + 1,
                                       " (lang): ", assigned.message()));
    }
    return absl::OkStatus();
  }

 private:
  CsvUpdates(std::string path, FILE* f) : path_(std::move(path)), f_(f) {}
  bool ReadLine(std::string* line) {
    line->clear();
    int c;
    bool any = false;
    while ((c = std::getc(f_)) != EOF) {
      any = true;
      if (c == '\n') break;
      line->push_back(static_cast<char>(c));
    }
    if (!any) return false;
    if (!line->empty() && line->back() == '\r') line->pop_back();
    ++line_;
    return true;
  }

  const std::string path_;
  FILE* const f_;
  size_t columns_ = 3;
  int lang_col_ = -1, updated_col_ = -1;  // 0-based; -1: absent
  uint64_t line_ = 0;
};

}  // namespace

absl::Status RunApply(int argc, char** argv) {
  CliFlags flags({"dir", "updates", "sync", "batch"}, {});
  RETURN_IF_ERROR(flags.Parse(argc, argv, 2));
  ASSIGN_OR_RETURN(std::string dir, flags.Require("dir"));
  ASSIGN_OR_RETURN(std::string updates_path, flags.Require("updates"));
  EngineOptions options;
  ASSIGN_OR_RETURN(options.sync, ParseSync(flags.Get("sync").value_or("group")));
  ASSIGN_OR_RETURN(uint64_t batch, flags.GetUintInRange("batch", 10000, 1, uint64_t{1} << 24));

  // Read the binary file's records (checked) or open the CSV before the
  // engine, so a missing or malformed file is refused before any work.
  std::unique_ptr<UsersInput> binary;
  std::unique_ptr<CsvUpdates> csv;
  if (IsBinaryUsersPath(updates_path)) {
    ASSIGN_OR_RETURN(binary, UsersInput::Load(updates_path, {}));
  } else {
    ASSIGN_OR_RETURN(csv, CsvUpdates::Open(updates_path));
  }

  const int64_t start = absl::GetCurrentTimeNanos();
  ASSIGN_OR_RETURN(std::unique_ptr<Engine> engine, Engine::Open(dir, options));
  const Engine::Stats opened = engine->GetStats();
  if (opened.open.torn_tail_bytes > 0) {
    std::fprintf(stderr, "cut a torn log tail of %llu bytes: %s\n",
                 static_cast<unsigned long long>(opened.open.torn_tail_bytes),
                 opened.open.torn_tail_detail.c_str());
  }
  const double open_s = MillisSince(start) / 1000;
  const int64_t apply_start = absl::GetCurrentTimeNanos();
  uint64_t applied = 0, last = opened.last_seq;
  std::vector<LocationUpdate> updates;
  LanguageCodes codes(engine.get());
  // A binary file's attributes: its language codes as the engine's.
  std::shared_ptr<const UserAttributes> file_attrs = binary ? binary->attributes() : nullptr;
  std::vector<uint8_t> code_of(256, 0);
  if (file_attrs != nullptr) {
    for (size_t c = 1; c <= file_attrs->languages().size(); ++c) {
      ASSIGN_OR_RETURN(code_of[c], codes.Of(file_attrs->languages()[c - 1]));
    }
  }
  size_t offset = 0;
  while (true) {
    if (binary != nullptr) {
      absl::Span<const UserRecord> records = binary->records();
      updates.clear();
      for (; offset < records.size() && updates.size() < batch; ++offset) {
        LocationUpdate u = LocationUpdate::Upsert(records[offset]);
        if (file_attrs != nullptr && file_attrs->has_lang()) u.lang = code_of[file_attrs->lang()[offset]];
        if (file_attrs != nullptr && file_attrs->has_updated_at()) {
          u.updated_at = file_attrs->updated_at()[offset];
        }
        updates.push_back(u);
      }
      RETURN_IF_ERROR(binary->CheckIntact());
    } else {
      RETURN_IF_ERROR(csv->Next(batch, &updates, &codes));
    }
    if (updates.empty()) break;
    ASSIGN_OR_RETURN(last, engine->Apply(updates));
    applied += updates.size();
    std::printf("acked %llu\n", static_cast<unsigned long long>(last));
    std::fflush(stdout);
  }
  const double apply_s = MillisSince(apply_start) / 1000;
  const Engine::Stats st = engine->GetStats();
  std::fprintf(stderr,
               "applied %llu updates to %s in %.2f s (%.0f/s; open %.2f s, %llu updates "
               "replayed): last_seq %llu, %llu users, %llu fsyncs, log %llu bytes in %llu "
               "segments, checkpoint_seq %llu\n",
               static_cast<unsigned long long>(applied), dir.c_str(), apply_s,
               apply_s > 0 ? applied / apply_s : 0.0, open_s,
               static_cast<unsigned long long>(opened.open.updates_replayed),
               static_cast<unsigned long long>(last), static_cast<unsigned long long>(st.users),
               static_cast<unsigned long long>(st.syncs),
               static_cast<unsigned long long>(st.log_bytes),
               static_cast<unsigned long long>(st.segments),
               static_cast<unsigned long long>(st.checkpoint_seq));
  const double users = st.users > 0 ? double(st.users) : 1.0;
  std::fprintf(stderr,
               "memory: live index %.1f B/user; user attributes %.1f B/user (%llu users "
               "with one)\n",
               st.memory_bytes / users, st.attribute_bytes / users,
               static_cast<unsigned long long>(st.attribute_users));
  return absl::OkStatus();
}

}  // namespace fanout
