// Copyright 2026 The fan-out engine authors.
//
// fanout inspect SNAPSHOT [--json]
// fanout inspect DIR [--json]
//
// For an engine folder (engine/engine.h): recovers it read-only, as Open
// would (the newest checkpoint verified, the log after it replayed; damage
// is exit 2 naming the file), and reports checkpoint_seq, last_seq, users,
// the segments replayed, a torn tail, and how long the recovery took.
//
// Loads and verifies a snapshot (every checksum, the column order) and
// describes it: users, sections (offset, size, checksum, all verified),
// bytes per user, the bounding rectangle of the users, how many users sit on
// each S2 cube face, and the cell level histogram: for every even level
// 0..30, the number of distinct S2 cells of that level holding at least one
// user and the mean users per such cell. (Every entry is a leaf cell, level
// 30, so a histogram of entry levels would say nothing; occupancy per level
// shows how clustered the population is and how deep a covering must go.)
// A damaged snapshot is refused with exit 2 naming the section.
//
// It also runs the deep check that loading skips (engine/index_check.h):
// every user id must appear once. A snapshot that names a user twice is
// reported with the user and its cells, and inspect exits 2 (kDataLoss).

#include <sys/stat.h>

#include <cstdio>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "base/mapped_file.h"
#include "base/status_macros.h"
#include "base/utf8.h"
#include "engine/engine.h"
#include "engine/index_check.h"
#include "engine/snapshot.h"
#include "tools/cli_flags.h"
#include "tools/cli_util.h"
#include "tools/commands.h"

namespace fanout {
namespace {

std::string JsonString(const std::string& raw) {
  const std::string s = ToValidUtf8(raw);  // a path need not be UTF-8; JSON must
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      out += absl::StrFormat("\\u%04x", c);
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::string Render(const std::string& path, const LoadedSnapshot& snap,
                   const CellLevelHistogram& hist, const IndexCheckReport& check, double load_s,
                   bool json) {
  const uint64_t n = snap.index->size();
  const SnapshotMetadata& m = snap.metadata;
  const double file_bpu = n ? double(snap.file_size) / n : 0;
  std::string out;
  if (json) {
    std::vector<std::string> sections, levels, faces;
    for (const SnapshotSection& s : snap.sections) {
      sections.push_back(absl::StrFormat(
          R"({"name": %s, "offset": %d, "size": %d, "checksum": "%016x", "ok": true})",
          JsonString(s.name), s.offset, s.size, s.checksum));
    }
    for (int level = 0; level <= 30; level += 2) {
      uint64_t d = hist.distinct_cells[level];
      levels.push_back(absl::StrFormat(R"({"level": %d, "cells": %d, "users_per_cell": %.2f})",
                                       level, d, d ? double(n) / d : 0.0));
    }
    for (uint64_t f : hist.per_face) faces.push_back(absl::StrCat(f));
    std::string bounds = "null";
    if (m.has_bounds) {
      bounds = absl::StrFormat(
          R"({"min_lat": %.7f, "max_lat": %.7f, "min_lng": %.7f, "max_lng": %.7f})",
          m.min_lat_e7 * 1e-7, m.max_lat_e7 * 1e-7, m.min_lng_e7 * 1e-7, m.max_lng_e7 * 1e-7);
    }
    out = absl::StrFormat(
        "{\"path\": %s, \"version\": %d, \"file_bytes\": %d, \"users\": %d, "
        "\"input_rows\": %d, \"duplicate_rows\": %d, \"build_s\": %.3f, \"created_unix_s\": %d, "
        "\"bytes_per_user\": %.2f, \"file_bytes_per_user\": %.2f, \"load_s\": %.3f, "
        "\"checksum_s\": %.3f, \"sections\": [%s], \"bounds\": %s, \"per_face\": [%s], "
        "\"cell_levels\": [%s], \"deep_check\": {\"repeated_users\": %d, \"extra_entries\": %d, "
        "\"seconds\": %.3f}}\n",
        JsonString(path), snap.version, snap.file_size, n, m.input_rows, m.duplicate_rows,
        m.build_seconds, m.created_unix_s, snap.index->BytesPerUser(), file_bpu, load_s,
        snap.checksum_ms / 1000, absl::StrJoin(sections, ", "), bounds,
        absl::StrJoin(faces, ", "), absl::StrJoin(levels, ", "), check.repeated_users,
        check.extra_entries, check.seconds);
    return out;
  }
  absl::StrAppendFormat(&out, "snapshot       %s (format version %d, %d bytes)\n", path,
                        snap.version, snap.file_size);
  absl::StrAppendFormat(&out, "users          %d (from %d input rows, %d duplicates dropped)\n", n,
                        m.input_rows, m.duplicate_rows);
  absl::StrAppendFormat(&out, "bytes per user %.2f in the index, %.2f in the file\n",
                        snap.index->BytesPerUser(), file_bpu);
  if (snap.attributes != nullptr) {
    const UserAttributes& at = *snap.attributes;
    absl::StrAppendFormat(&out, "attributes     %s%s: %.2f bytes per user more in the index; "
                          "languages: %s\n",
                          at.has_lang() ? "lang" : "",
                          at.has_updated_at() ? (at.has_lang() ? ", updated_at" : "updated_at") : "",
                          n ? double(at.MemoryBytes()) / n : 0.0,
                          at.languages().empty() ? "none" : absl::StrJoin(at.languages(), " "));
  }
  absl::StrAppendFormat(&out, "built in       %.2f s; loaded and verified in %.3f s "
                        "(checksums %.3f s)\n", m.build_seconds, load_s, snap.checksum_ms / 1000);
  if (m.has_bounds) {
    absl::StrAppendFormat(&out, "bounds         lat [%.7f, %.7f], lng [%.7f, %.7f]\n",
                          m.min_lat_e7 * 1e-7, m.max_lat_e7 * 1e-7, m.min_lng_e7 * 1e-7,
                          m.max_lng_e7 * 1e-7);
  } else {
    out += "bounds         (none: no users)\n";
  }
  out += "sections       name      offset          size            checksum          status\n";
  for (const SnapshotSection& s : snap.sections) {
    absl::StrAppendFormat(&out, "               %-8s  %-14d  %-14d  %016x  ok\n", s.name, s.offset,
                          s.size, s.checksum);
  }
  out += "users per face";
  for (size_t f = 0; f < hist.per_face.size(); ++f) {
    absl::StrAppendFormat(&out, " %d:%d", f, hist.per_face[f]);
  }
  out += "\ncell levels    level  occupied cells  users/cell\n";
  for (int level = 0; level <= 30; level += 2) {
    uint64_t d = hist.distinct_cells[level];
    absl::StrAppendFormat(&out, "               %5d  %14d  %10.2f\n", level, d,
                          d ? double(n) / d : 0.0);
  }
  absl::StrAppendFormat(&out, "deep check     %s (%.3f s)\n",
                        check.repeated_users == 0
                            ? std::string("every user id appears once")
                            : absl::StrFormat("%d user ids appear more than once",
                                              check.repeated_users),
                        check.seconds);
  return out;
}

std::string RenderEngineDirectory(const std::string& dir, const EngineDirectoryState& st,
                                  double open_s, bool json) {
  const EngineOpenReport& r = st.report;
  if (json) {
    std::vector<std::string> segments, removed;
    for (const auto& seg : st.segments) {
      segments.push_back(absl::StrFormat(
          R"({"name": %s, "first_seq": %d, "last_seq": %d, "updates": %d, "bytes": %d})",
          JsonString(seg.name), seg.first_seq, seg.last_seq, seg.updates, seg.bytes));
    }
    for (const std::string& name : r.removed) removed.push_back(JsonString(name));
    std::vector<std::string> languages;
    for (const std::string& tag : st.languages) languages.push_back(JsonString(tag));
    return absl::StrFormat(
        "{\"path\": %s, \"checkpoint\": %s, \"checkpoint_seq\": %d, \"last_seq\": %d, "
        "\"users\": %d, \"checkpoint_users\": %d, \"updates_replayed\": %d, "
        "\"log_bytes\": %d, \"segments\": [%s], \"torn_tail_bytes\": %d, "
        "\"torn_tail_detail\": %s, \"stray_files\": [%s], \"load_checkpoint_s\": %.3f, "
        "\"replay_s\": %.3f, \"read_log_s\": %.3f, \"fold_s\": %.3f, \"make_live_s\": %.3f, "
        "\"attribute_users\": %d, \"languages\": [%s], \"open_s\": %.3f}\n",
        JsonString(dir), JsonString(r.checkpoint_path), r.checkpoint_seq, st.last_seq, st.users,
        r.checkpoint_users, r.updates_replayed, st.log_bytes, absl::StrJoin(segments, ", "),
        r.torn_tail_bytes, JsonString(r.torn_tail_detail), absl::StrJoin(removed, ", "),
        r.load_checkpoint_s, r.replay_s, r.read_log_s, r.fold_s, r.make_live_s,
        st.attribute_users, absl::StrJoin(languages, ", "), open_s);
  }
  std::string out;
  absl::StrAppendFormat(&out, "engine folder  %s\n", dir);
  absl::StrAppendFormat(&out, "checkpoint     %s (checkpoint_seq %d, %d users; loaded and "
                        "verified in %.3f s)\n", r.checkpoint_path, r.checkpoint_seq,
                        r.checkpoint_users, r.load_checkpoint_s);
  absl::StrAppendFormat(&out, "last_seq       %d (%d updates of log replayed in %.3f s)\n",
                        st.last_seq, r.updates_replayed, r.replay_s);
  absl::StrAppendFormat(&out, "users          %d\n", st.users);
  absl::StrAppendFormat(&out, "attributes     %d users with a language or an update time; "
                        "languages: %s\n", st.attribute_users,
                        st.languages.empty() ? "none" : absl::StrJoin(st.languages, " "));
  absl::StrAppendFormat(&out, "log            %d bytes in %d segments\n", st.log_bytes,
                        st.segments.size());
  for (const auto& seg : st.segments) {
    absl::StrAppendFormat(&out, "               %s  updates %d..%d  %d bytes\n", seg.name,
                          seg.first_seq, seg.last_seq, seg.bytes);
  }
  if (r.torn_tail_bytes > 0) {
    absl::StrAppendFormat(&out, "torn tail      %d bytes (cut on the next open): %s\n",
                          r.torn_tail_bytes, r.torn_tail_detail);
  }
  for (const std::string& name : r.removed) {
    absl::StrAppendFormat(&out, "stray file     %s (removed on the next open)\n", name);
  }
  absl::StrAppendFormat(&out, "opened in      %.3f s\n", open_s);
  return out;
}

}  // namespace

absl::Status RunInspect(int argc, char** argv) {
  CliFlags flags({}, {"json"}, /*max_positional=*/1);
  RETURN_IF_ERROR(flags.Parse(argc, argv, 2));
  if (flags.positional().size() != 1) {
    return absl::InvalidArgumentError("usage: fanout inspect (SNAPSHOT | DIR) [--json]");
  }
  const std::string path = flags.positional()[0];
  int64_t start = absl::GetCurrentTimeNanos();
  struct stat st;
  if (::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
    ASSIGN_OR_RETURN(EngineDirectoryState state, ReadEngineDirectory(path, /*materialise=*/false));
    const double open_s = MillisSince(start) / 1000;
    std::fputs(RenderEngineDirectory(path, state, open_s, flags.Has("json")).c_str(), stdout);
    return absl::OkStatus();
  }
  ASSIGN_OR_RETURN(LoadedSnapshot snap, LoadSnapshot(path));
  const double load_s = MillisSince(start) / 1000;
  CellLevelHistogram hist = ComputeCellLevelHistogram(snap.index->run());
  const IndexCheckReport check = FindDuplicateUsers(snap.index->run());
  RETURN_IF_ERROR(MappedFile::CheckAllIntact());
  std::fputs(Render(path, snap, hist, check, load_s, flags.Has("json")).c_str(), stdout);
  if (check.repeated_users > 0) {
    const DuplicateUser& d = check.examples.front();
    std::string cells;
    for (uint64_t c : d.cells) absl::StrAppendFormat(&cells, "%s%016x", cells.empty() ? "" : ", ", c);
    return absl::DataLossError(absl::StrFormat(
        "%s: deep check failed: %d user ids appear more than once (%d extra entries), so an "
        "alert could deliver them twice; first: user %d in cells %s. Rebuild the snapshot "
        "from its users file (fanout build removes repeats: the last row of a user wins)",
        path, check.repeated_users, check.extra_entries, d.user_id, cells));
  }
  return absl::OkStatus();
}

}  // namespace fanout
