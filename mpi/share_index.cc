// Copyright 2026 The fan-out engine authors.

#include "mpi/share_index.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <string>
#include <type_traits>
#include <utility>
#include <memory>
#include <new>
#include <vector>

#include "absl/numeric/int128.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "base/status_macros.h"
#include "engine/location_index.h"
#include "engine/shard_policy.h"
#include "engine/users_binary.h"
#include "mpi/cell_partition.h"
#include "mpi/users_share.h"
#include "oneapi/tbb/parallel_sort.h"

namespace fanout {
namespace {

// An entry of the index being built: a user and its leaf cell, ordered as
// the index orders them.
struct Entry {
  uint64_t cell, user;
  bool operator<(const Entry& o) const { return cell != o.cell ? cell < o.cell : user < o.user; }
};

// A row and an entry with the user's attributes (lang code in the job's
// dictionary, updated_at), for a file that has them: they travel with the
// row through every exchange. A file without attributes uses UserRecord
// and Entry, 8 bytes less each.
struct AttributedRow {
  UserRecord record;
  uint32_t updated_at;
  uint32_t lang;
};
struct AttributedEntry {
  uint64_t cell, user;
  uint32_t updated_at;
  uint32_t lang;
  bool operator<(const AttributedEntry& o) const {
    return cell != o.cell ? cell < o.cell : user < o.user;
  }
};
uint64_t UserOf(const UserRecord& r) { return r.user_id; }
uint64_t UserOf(const AttributedRow& r) { return r.record.user_id; }
Entry EntryOf(const UserRecord& r) { return {r.ToCellId().id(), r.user_id}; }
AttributedEntry EntryOf(const AttributedRow& r) {
  return {r.record.ToCellId().id(), r.record.user_id, r.updated_at, r.lang};
}

// Keeps the last of each user's rows (`rows` in file order per user).
template <typename Row>
uint64_t KeepLastRows(std::vector<Row>* rows) {
  std::stable_sort(rows->begin(), rows->end(),
                   [](const Row& a, const Row& b) { return UserOf(a) < UserOf(b); });
  size_t kept = 0;
  for (size_t i = 0; i < rows->size(); ++i) {
    if (i + 1 < rows->size() && UserOf((*rows)[i + 1]) == UserOf((*rows)[i])) continue;
    (*rows)[kept++] = (*rows)[i];
  }
  const uint64_t dropped = rows->size() - kept;
  rows->resize(kept);
  return dropped;
}

// `items` grouped by destination rank (stable), with the count for each:
// one buffer, so that Exchange sends from it without another copy.
template <typename T, typename DestFn>
std::vector<T> GroupByRank(const std::vector<T>& items, int ranks, DestFn dest,
                           std::vector<size_t>* counts) {
  counts->assign(ranks, 0);
  for (const T& item : items) ++(*counts)[dest(item)];
  std::vector<size_t> at(ranks, 0);
  for (int r = 1; r < ranks; ++r) at[r] = at[r - 1] + (*counts)[r - 1];
  std::vector<T> out(items.size());
  for (const T& item : items) out[at[dest(item)]++] = item;
  return out;
}

// How many of `sorted` entries fall in each part of `partition` (they are
// consecutive, part by part).
template <typename E>
std::vector<size_t> PartCounts(const std::vector<E>& sorted, const CellPartition& partition) {
  std::vector<size_t> counts(partition.parts());
  auto begin = sorted.begin();
  for (int k = 0; k < partition.parts(); ++k) {
    auto end = k + 1 == partition.parts()
                   ? sorted.end()
                   : std::lower_bound(begin, sorted.end(), partition.upper(k),
                                      [](const E& e, uint64_t cell) { return e.cell < cell; });
    counts[k] = end - begin;
    begin = end;
  }
  return counts;
}

// Stage 1: this rank's share of the rows, the file unmapped again, and
// their attributes when the file has them (`attributes` null otherwise).
absl::StatusOr<std::vector<UserRecord>> ReadShare(MpiWorld& world, const std::string& users_path,
                                                  bool skip_bad_rows, ShareBuildStats* stats,
                                                  std::shared_ptr<const UserAttributes>* attributes) {
  absl::StatusOr<UsersShare> share = UsersShare::Open(users_path, world.rank(), world.size());
  RETURN_IF_ERROR(world.Agree(share.status()));
  // Line numbers in messages count from the top of the whole file.
  std::vector<uint64_t> lines = world.Broadcast(world.GatherToRoot({share->lines()}));
  uint64_t first_line = 2;
  for (int r = 0; r < world.rank(); ++r) first_line += lines[r];
  UsersCsvOptions options;
  options.skip_bad_rows = skip_bad_rows;
  UsersCsvStats csv_stats;
  absl::StatusOr<std::vector<UserRecord>> rows = absl::ResourceExhaustedError("out of memory");
  try {
    rows = share->Read(first_line, options, &csv_stats, attributes);
    if (rows.ok() && world.root()) {
      absl::Status verified = share->VerifyChecksum();
      if (!verified.ok()) rows = verified;
    }
  } catch (const std::bad_alloc&) {
  }
  RETURN_IF_ERROR(world.Agree(rows.status()));
  stats->input_rows = rows->size();
  stats->bad_rows = csv_stats.bad_rows;
  if (csv_stats.bad_rows > 0) {
    std::fprintf(stderr, "rank %d: skipped %llu bad rows (first: %s:%llu: %s)\n", world.rank(),
                 static_cast<unsigned long long>(csv_stats.bad_rows), users_path.c_str(),
                 static_cast<unsigned long long>(csv_stats.first_bad_line),
                 csv_stats.first_bad_reason.c_str());
  }
  return rows;
}

// Stages 2-3: this rank's piece of the global (cell, user) order, sorted,
// after resolving repeated ids.
template <typename Row, typename E = decltype(EntryOf(std::declval<Row>()))>
std::vector<E> SpreadByCell(MpiWorld& world, std::vector<Row> rows, ShareBuildStats* stats) {
  // 2. Each user's rows meet at one rank; its last row wins.
  std::vector<Row> mine;
  {
    std::vector<size_t> counts;
    const std::vector<Row> grouped = GroupByRank(
        rows, world.size(),
        [&](const Row& r) { return static_cast<int>(Mix64(UserOf(r)) % world.size()); }, &counts);
    rows = {};
    mine = world.Exchange(absl::MakeConstSpan(grouped), counts);
  }
  stats->duplicate_rows = KeepLastRows(&mine);

  // 3. A first partition by cell, from a sample; each rank sorts its piece.
  std::vector<E> entries(mine.size());
  for (size_t i = 0; i < mine.size(); ++i) entries[i] = EntryOf(mine[i]);
  mine = {};
  tbb::parallel_sort(entries.begin(), entries.end());
  std::vector<uint64_t> sample;
  const size_t n = entries.size(), count = std::min(n, kPartitionSamplesPerPart);
  for (size_t i = 0; i < count; ++i) {
    sample.push_back(entries[static_cast<size_t>((absl::uint128(2 * i + 1) * n) / (2 * count))].cell);
  }
  const CellPartition first = PartitionByShareSample(world, sample, world.size());
  std::vector<E> piece = world.Exchange(absl::MakeConstSpan(entries), PartCounts(entries, first));
  entries = {};
  tbb::parallel_sort(piece.begin(), piece.end());
  return piece;
}

// Stage 4: the partition the whole-file path chooses, from the cells at
// its sample positions in the global order (this rank holds positions
// [offset, offset + piece.size())).
template <typename E>
CellPartition ExactPartition(MpiWorld& world, const std::vector<E>& piece, int parts) {
  std::vector<uint64_t> sizes = world.Broadcast(world.GatherToRoot({piece.size()}));
  uint64_t offset = 0, n = 0;
  for (int r = 0; r < world.size(); ++r) {
    if (r < world.rank()) offset += sizes[r];
    n += sizes[r];
  }
  std::vector<uint64_t> samples;
  for (int p = 0; p < parts; ++p) {
    // As LocalPartition and PartitionBySample: CellPartition::SampleCells
    // of slice p of the sorted cells.
    const uint64_t begin = n * p / parts, end = n * (p + 1) / parts, len = end - begin;
    const uint64_t count = std::min<uint64_t>(kPartitionSamplesPerPart, len);
    for (uint64_t i = 0; i < count; ++i) {
      const uint64_t at =
          begin + static_cast<uint64_t>((absl::uint128(2 * i + 1) * len) / (2 * count));
      if (at >= offset && at < offset + piece.size()) samples.push_back(piece[at - offset].cell);
    }
  }
  std::vector<uint64_t> all = world.GatherToRoot(samples);
  std::vector<uint64_t> splitters;
  if (world.root()) splitters = CellPartition::FromSamples(std::move(all), parts).splitters();
  return *CellPartition::FromSplitters(world.Broadcast(std::move(splitters)), parts);
}

// Stage 5 and the index: entries to their final rank; the pieces
// received come in rank order, each ascending within ascending ranges, so
// they are sorted. With attributes, `kinds` and `languages` are the job's.
template <typename E>
absl::StatusOr<RankIndex> FinishPart(MpiWorld& world, std::vector<E> piece, RankIndex part,
                                     UserAttributes::Kinds kinds,
                                     const std::vector<std::string>* languages) {
  std::vector<E> entries =
      world.Exchange(absl::MakeConstSpan(piece), PartCounts(piece, part.partition));
  piece = {};
  absl::StatusOr<std::unique_ptr<LocationIndex>> index =
      absl::ResourceExhaustedError("out of memory");
  try {
    const size_t n = entries.size();
    std::vector<uint64_t> cells(n), users(n);
    for (size_t i = 0; i < n; ++i) {
      cells[i] = entries[i].cell;
      users[i] = entries[i].user;
    }
    if constexpr (std::is_same_v<E, AttributedEntry>) {
      std::vector<uint8_t> lang(kinds.lang ? n : 0);
      std::vector<uint32_t> updated_at(kinds.updated_at ? n : 0);
      for (size_t i = 0; i < n; ++i) {
        if (kinds.lang) lang[i] = static_cast<uint8_t>(entries[i].lang);
        if (kinds.updated_at) updated_at[i] = entries[i].updated_at;
      }
      part.attributes =
          UserAttributes::Own(kinds, *languages, std::move(lang), std::move(updated_at), n);
    }
    entries = {};
    index = LocationIndex::FromColumns(std::move(cells), std::move(users));
  } catch (const std::bad_alloc&) {
  }
  RETURN_IF_ERROR(world.Agree(index.status()));
  part.index = std::move(*index);
  return part;
}

// Words of `text` for a gather of uint64s: its length, then its bytes.
void AppendText(const std::string& text, std::vector<uint64_t>* words) {
  words->push_back(text.size());
  const size_t at = words->size();
  words->resize(at + (text.size() + 7) / 8, 0);
  std::memcpy(words->data() + at, text.data(), text.size());
}
std::string TakeText(const std::vector<uint64_t>& words, size_t* at) {
  const uint64_t n = words[(*at)++];
  std::string text(reinterpret_cast<const char*>(words.data() + *at), n);
  *at += (n + 7) / 8;
  return text;
}

// The job's language dictionary and columns from every rank's share: a
// binary file's dictionary is the file's (the same on every rank); a CSV
// share's tags are gathered and joined in rank order, each tag where it
// first appears, which is the order the whole-file reader gives them (it
// numbers tags by their first line), and this rank's codes are renumbered
// into it. Collective; the status is agreed.
absl::Status JobDictionary(MpiWorld& world, bool binary, const UserAttributes* share,
                           std::vector<std::string>* languages, UserAttributes::Kinds* kinds,
                           std::vector<uint8_t>* recode) {
  const std::vector<int64_t> k = world.MaxAll(
      {share != nullptr && share->has_lang() ? 1 : 0, share != nullptr && share->has_updated_at() ? 1 : 0});
  kinds->lang = k[0] != 0;
  kinds->updated_at = k[1] != 0;
  const std::vector<std::string> mine = share != nullptr ? share->languages() : std::vector<std::string>();
  recode->assign(UserAttributes::kMaxLanguages + 1, 0);
  if (binary) {
    // Every share of a binary file has the file's dictionary; a share
    // without rows has no attributes object and takes rank 0's.
    std::string joined = world.Broadcast(absl::StrJoin(mine, "\n"));
    *languages = joined.empty() ? std::vector<std::string>()
                                : std::vector<std::string>(absl::StrSplit(joined, '\n'));
    for (size_t c = 0; c < recode->size(); ++c) (*recode)[c] = static_cast<uint8_t>(c);
    return world.Agree(absl::OkStatus());
  }
  std::vector<uint64_t> words;
  AppendText(absl::StrJoin(mine, "\n"), &words);
  const std::vector<uint64_t> all = world.GatherToRoot(words);
  std::string joined;
  absl::Status status = absl::OkStatus();
  if (world.root()) {
    std::vector<std::string> job;
    size_t at = 0;
    for (int r = 0; r < world.size(); ++r) {
      const std::string text = TakeText(all, &at);
      if (text.empty()) continue;
      for (absl::string_view tag : absl::StrSplit(text, '\n')) {
        if (std::find(job.begin(), job.end(), tag) == job.end()) job.emplace_back(tag);
      }
    }
    if (job.size() > UserAttributes::kMaxLanguages) {
      status = absl::InvalidArgumentError(absl::StrCat(
          "the users file holds ", job.size(), " distinct language tags, more than ",
          UserAttributes::kMaxLanguages));
    }
    joined = absl::StrJoin(job, "\n");
  }
  RETURN_IF_ERROR(world.Agree(status));
  joined = world.Broadcast(joined);
  *languages = joined.empty() ? std::vector<std::string>()
                              : std::vector<std::string>(absl::StrSplit(joined, '\n'));
  for (size_t c = 0; c < mine.size(); ++c) {
    const size_t code = std::find(languages->begin(), languages->end(), mine[c]) - languages->begin();
    (*recode)[c + 1] = static_cast<uint8_t>(code + 1);
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<RankIndex> BuildRankIndexFromShares(MpiWorld& world,
                                                   const std::string& users_path,
                                                   bool skip_bad_rows, ShareBuildStats* stats) {
  std::shared_ptr<const UserAttributes> attributes;
  ASSIGN_OR_RETURN(std::vector<UserRecord> rows,
                   ReadShare(world, users_path, skip_bad_rows, stats, &attributes));
  // Whether the file has attributes: the same answer on every rank (a
  // share without rows may have no attributes object).
  const bool attributed = world.MaxAll({attributes != nullptr ? 1 : 0})[0] != 0;
  // Collectives may not be skipped by one rank: a bad_alloc in the
  // exchanges cannot be agreed on, so it ends the job, naming the rank
  // (fanout_mpi_main.cc).
  RankIndex part;
  if (!attributed) {
    std::vector<Entry> piece = SpreadByCell(world, std::move(rows), stats);
    part.partition = ExactPartition(world, piece, world.size());
    return FinishPart(world, std::move(piece), std::move(part), {}, nullptr);
  }
  std::vector<std::string> languages;
  UserAttributes::Kinds kinds;
  std::vector<uint8_t> recode;
  RETURN_IF_ERROR(JobDictionary(world, IsBinaryUsersPath(users_path), attributes.get(),
                                &languages, &kinds, &recode));
  std::vector<AttributedRow> attributed_rows(rows.size());
  const bool lang = attributes != nullptr && attributes->has_lang();
  const bool updated = attributes != nullptr && attributes->has_updated_at();
  for (size_t i = 0; i < rows.size(); ++i) {
    attributed_rows[i] = {rows[i], updated ? attributes->updated_at()[i] : 0u,
                          lang ? recode[attributes->lang()[i]] : 0u};
  }
  rows = {};
  attributes.reset();
  std::vector<AttributedEntry> piece = SpreadByCell(world, std::move(attributed_rows), stats);
  part.partition = ExactPartition(world, piece, world.size());
  return FinishPart(world, std::move(piece), std::move(part), kinds, &languages);
}

}  // namespace fanout
