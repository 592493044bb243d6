// Copyright 2026 The fan-out engine authors.

#include "engine/internal/engine_attributes.h"

#include <algorithm>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "base/atomic_file.h"
#include "base/status_macros.h"
#include "engine/internal/scan_source.h"
#include "oneapi/tbb/parallel_for.h"

namespace fanout {
namespace internal {

namespace {

uint64_t Hash(uint64_t user) {
  // SplitMix64's finalizer of a salted id (not correlated with the shard
  // hash, the unsalted one, nor the live index's slot table's).
  uint64_t z = user ^ 0x3c6ef372fe94f82bULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

std::string LanguagesPath(const std::string& dir) {
  return dir.empty() ? std::string() : absl::StrCat(dir, "/", kLanguagesFileName);
}

}  // namespace

size_t AttributeTable::Home(uint64_t user) const {
  return static_cast<size_t>((static_cast<unsigned __int128>(Hash(user)) * slots_.size()) >> 64);
}

size_t AttributeTable::Probe(uint64_t user) const {
  size_t i = Home(user);
  while (!slots_[i].empty() && slots_[i].user != user) i = Next(i);
  return i;
}

bool AttributeTable::Find(uint64_t user, uint32_t* updated_at, uint8_t* lang) const {
  if (size_ == 0) return false;
  const Slot& s = slots_[Probe(user)];
  if (s.empty()) return false;
  *updated_at = s.updated_at;
  *lang = s.lang;
  return true;
}

void AttributeTable::Rehash(size_t capacity) {
  std::vector<Slot> old(capacity, Slot{0, 0, 0});
  old.swap(slots_);
  for (const Slot& s : old) {
    if (!s.empty()) slots_[Probe(s.user)] = s;
  }
}

void AttributeTable::Reserve(size_t users) {
  const size_t want = users + users / 3 + 16;  // a load of 0.75
  if (want > slots_.size()) Rehash(want);
}

void AttributeTable::GrowForOneMore() {
  if ((size_ + 1) * 20 > slots_.size() * 17) Rehash(std::max<size_t>(16, slots_.size() * 3 / 2));
}

void AttributeTable::Set(uint64_t user, uint32_t updated_at, uint8_t lang) {
  GrowForOneMore();
  Slot& s = slots_[Probe(user)];
  if (s.empty()) ++size_;
  s = Slot{user, updated_at, lang};
}

void AttributeTable::Update(uint64_t user, uint32_t updated_at, uint8_t lang) {
  GrowForOneMore();
  const size_t i = Probe(user);
  Slot& s = slots_[i];
  if (lang == 0 && !s.empty()) lang = s.lang;
  if (lang == 0 && updated_at == 0) {
    if (!s.empty()) EraseAt(i);
    return;
  }
  if (s.empty()) ++size_;
  s = Slot{user, updated_at, lang};
}

void AttributeTable::Erase(uint64_t user) {
  if (size_ == 0) return;
  const size_t i = Probe(user);
  if (!slots_[i].empty()) EraseAt(i);
}

void AttributeTable::EraseAt(size_t i) {
  --size_;
  // Backward shift: move each later entry of the run whose home does not
  // lie cyclically in (i, j] into the hole.
  for (size_t j = Next(i);; j = Next(j)) {
    if (slots_[j].empty()) break;
    const size_t k = Home(slots_[j].user);
    const bool stays = i <= j ? (i < k && k <= j) : (i < k || k <= j);
    if (stays) continue;
    slots_[i] = slots_[j];
    i = j;
  }
  slots_[i] = Slot{0, 0, 0};
}

absl::StatusOr<std::unique_ptr<EngineAttributes>> EngineAttributes::Open(const std::string& dir) {
  std::unique_ptr<EngineAttributes> out(new EngineAttributes(dir));
  if (dir.empty()) return out;
  const std::string path = LanguagesPath(dir);
  std::ifstream in(path, std::ios::binary);
  if (!in) return out;  // no tag given yet
  std::stringstream text;
  text << in.rdbuf();
  std::lock_guard<std::mutex> lock(out->dict_mu_);
  size_t line = 0;
  for (absl::string_view tag : absl::StrSplit(text.str(), '\n', absl::SkipEmpty())) {
    ++line;
    absl::StatusOr<std::string> normal = NormalizeLanguageTag(tag);
    if (!normal.ok() || *normal != tag) {
      return absl::DataLossError(
          absl::StrCat(path, ": line ", line, " is not a normalised language tag"));
    }
    if (std::find(out->languages_.begin(), out->languages_.end(), *normal) !=
        out->languages_.end()) {
      return absl::DataLossError(absl::StrCat(path, ": line ", line, " repeats tag ", *normal));
    }
    if (out->languages_.size() == UserAttributes::kMaxLanguages) {
      return absl::DataLossError(absl::StrCat(path, ": more than ",
                                              UserAttributes::kMaxLanguages, " tags"));
    }
    out->languages_.push_back(*normal);
  }
  out->language_count_.store(static_cast<uint32_t>(out->languages_.size()));
  if (!out->languages_.empty()) out->nonempty_.store(true);
  return out;
}

absl::StatusOr<uint8_t> EngineAttributes::CodeOfLocked(const std::string& tag) {
  auto it = std::find(languages_.begin(), languages_.end(), tag);
  if (it != languages_.end()) return static_cast<uint8_t>(it - languages_.begin() + 1);
  if (languages_.size() >= UserAttributes::kMaxLanguages) {
    return absl::InvalidArgumentError(absl::StrCat("language ", tag, ": the engine already has ",
                                                   UserAttributes::kMaxLanguages,
                                                   " language tags, the most it holds"));
  }
  languages_.push_back(tag);
  dict_dirty_ = true;
  language_count_.store(static_cast<uint32_t>(languages_.size()));
  nonempty_.store(true);
  return static_cast<uint8_t>(languages_.size());
}

absl::Status EngineAttributes::WriteLanguagesLocked() {
  if (dir_.empty() || !dict_dirty_) return absl::OkStatus();
  std::string text;
  for (const std::string& tag : languages_) absl::StrAppend(&text, tag, "\n");
  RETURN_IF_ERROR(WriteFileAtomically(LanguagesPath(dir_), [&](const AppendFn& append) {
    return append(text);
  }));
  dict_dirty_ = false;
  return absl::OkStatus();
}

absl::StatusOr<uint8_t> EngineAttributes::CodeOf(absl::string_view tag) {
  ASSIGN_OR_RETURN(std::string normal, NormalizeLanguageTag(tag));
  std::lock_guard<std::mutex> lock(dict_mu_);
  const size_t before = languages_.size();
  ASSIGN_OR_RETURN(uint8_t code, CodeOfLocked(normal));
  absl::Status st = WriteLanguagesLocked();
  if (!st.ok()) {
    // Not durable: the code is not handed out (and is forgotten).
    languages_.resize(before);
    language_count_.store(static_cast<uint32_t>(before));
    return st;
  }
  return code;
}

absl::Status EngineAttributes::Persist() {
  std::lock_guard<std::mutex> lock(dict_mu_);
  return WriteLanguagesLocked();
}

std::vector<std::string> EngineAttributes::Languages() const {
  std::lock_guard<std::mutex> lock(dict_mu_);
  return languages_;
}

absl::Status EngineAttributes::LoadCheckpoint(const SortedRun& run, const UserAttributes& attrs) {
  if (!attrs.kinds().any()) return absl::OkStatus();
  // The checkpoint's codes as the engine's.
  uint8_t code_of[256] = {0};
  {
    std::lock_guard<std::mutex> lock(dict_mu_);
    for (size_t c = 1; c <= attrs.languages().size(); ++c) {
      ASSIGN_OR_RETURN(code_of[c], CodeOfLocked(attrs.languages()[c - 1]));
    }
  }
  std::unique_lock<std::shared_mutex> lock(mu_);
  const size_t n = run.size();
  values_.Reserve(values_.size() + n);
  for (size_t i = 0; i < n; ++i) {
    const uint8_t lang = attrs.has_lang() ? code_of[attrs.lang()[i]] : 0;
    const uint32_t t = attrs.has_updated_at() ? attrs.updated_at()[i] : 0;
    if (lang == 0 && t == 0) continue;
    values_.Set(run.users[i], t, lang);
    any_updated_at_ |= t != 0;
  }
  if (values_.size() > 0) nonempty_.store(true);
  return absl::OkStatus();
}

absl::Status EngineAttributes::Check(absl::Span<const LocationUpdate> updates) const {
  const uint32_t known = language_count_.load();
  for (size_t i = 0; i < updates.size(); ++i) {
    const LocationUpdate& u = updates[i];
    if (u.lang > known) {
      return absl::InvalidArgumentError(absl::StrCat(
          "update ", i, " (user ", u.user_id(), "): language code ", int(u.lang),
          " is not one the engine gave (Engine::LanguageCode; it has ", known, ")"));
    }
    if (u.kind == LocationUpdate::Kind::kRemove && u.has_attributes()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "update ", i, " (user ", u.user_id(), "): a removal carries no attributes"));
    }
  }
  return absl::OkStatus();
}

absl::Status EngineAttributes::Apply(absl::Span<const LocationUpdate> updates,
                                     absl::string_view what) {
  // The fast path of an engine without attributes: nothing held, nothing
  // given.
  if (!nonempty_.load(std::memory_order_relaxed)) {
    bool any = false;
    for (const LocationUpdate& u : updates) any |= u.has_attributes();
    if (!any) return absl::OkStatus();
  }
  const uint32_t known = language_count_.load();
  std::unique_lock<std::shared_mutex> lock(mu_);
  for (const LocationUpdate& u : updates) {
    const uint64_t user = u.user_id();
    if (u.kind == LocationUpdate::Kind::kRemove) {
      values_.Erase(user);
      continue;
    }
    if (u.lang > known) {
      return absl::DataLossError(absl::StrCat(what, ": an update of user ", user,
                                              " names language code ", int(u.lang),
                                              ", which ", kLanguagesFileName,
                                              " does not define (it has ", known, ")"));
    }
    values_.Update(user, u.updated_at, u.lang);
    any_updated_at_ |= u.updated_at != 0;
  }
  if (values_.size() > 0) nonempty_.store(true, std::memory_order_relaxed);
  return absl::OkStatus();
}

bool EngineAttributes::empty() const { return !nonempty_.load(); }

size_t EngineAttributes::users() const {
  std::shared_lock<std::shared_mutex> lock(mu_);
  return values_.size();
}

size_t EngineAttributes::MemoryBytes() const {
  std::shared_lock<std::shared_mutex> lock(mu_);
  // Slots of key and value plus a control byte each.
  return values_.MemoryBytes();
}

void EngineAttributes::LookUp(const uint64_t* users, size_t n, Value* out) const {
  std::shared_lock<std::shared_mutex> lock(mu_);
  // Prefetched this many users ahead (bench/README.md, "User attributes
  // in the Engine", has the effect on a nation-wide alert).
  constexpr size_t kAhead = 16;
  for (size_t i = 0; i < n && i < kAhead; ++i) values_.Prefetch(users[i]);
  for (size_t i = 0; i < n; ++i) {
    if (i + kAhead < n) values_.Prefetch(users[i + kAhead]);
    out[i] = Value();
    values_.Find(users[i], &out[i].updated_at, &out[i].lang);
  }
}

std::shared_ptr<const UserAttributes> EngineAttributes::AlignedTo(const SortedRun& run) const {
  if (empty()) return nullptr;
  std::vector<std::string> languages = Languages();
  bool any_updated_at;
  {
    std::shared_lock<std::shared_mutex> lock(mu_);
    any_updated_at = any_updated_at_;
  }
  UserAttributes::Kinds kinds;
  kinds.lang = !languages.empty();
  kinds.updated_at = any_updated_at;
  if (!kinds.any()) return nullptr;
  const size_t n = run.size();
  std::vector<uint8_t> lang(kinds.lang ? n : 0);
  std::vector<uint32_t> updated(kinds.updated_at ? n : 0);
  tbb::parallel_for(tbb::blocked_range<size_t>(0, n, 1 << 16), [&](const auto& r) {
    Value v[256];
    for (size_t i = r.begin(); i < r.end(); i += 256) {
      const size_t k = std::min<size_t>(256, r.end() - i);
      LookUp(run.users.data() + i, k, v);
      for (size_t j = 0; j < k; ++j) {
        if (kinds.lang) lang[i + j] = v[j].lang;
        if (kinds.updated_at) updated[i + j] = v[j].updated_at;
      }
    }
  });
  return UserAttributes::Own(kinds, std::move(languages), std::move(lang), std::move(updated), n);
}

std::vector<uint32_t> InfoBlockOfCodes(absl::Span<const std::string> languages,
                                       absl::Span<const std::string> info_languages) {
  std::vector<uint32_t> block_of(256, 0);
  for (size_t c = 1; c <= languages.size() && c < block_of.size(); ++c) {
    block_of[c] = static_cast<uint32_t>(MatchInfoBlock(languages[c - 1], info_languages));
  }
  return block_of;
}

std::vector<AlertSummary::InfoCount> InfoCountsOf(absl::Span<const uint64_t> code_counts,
                                                  size_t shards,
                                                  absl::Span<const uint32_t> block_of,
                                                  absl::Span<const std::string> languages,
                                                  absl::Span<const std::string> info_languages) {
  std::vector<AlertSummary::InfoCount> counts(info_languages.size());
  for (size_t k = 0; k < counts.size(); ++k) counts[k].language = info_languages[k];
  for (size_t c = 0; c < 256; ++c) {
    uint64_t total = 0;
    for (size_t s = 0; s < shards; ++s) total += code_counts[s * 256 + c];
    if (total == 0) continue;
    AlertSummary::InfoCount& block = counts[block_of[c]];
    block.users += total;
    block.by_user_language.emplace_back(c == 0 ? "" : languages[c - 1], total);
  }
  return counts;
}

void EngineAttributes::FilterAndSplit(bool max_age, uint64_t cutoff,
                                      absl::Span<const std::string> info_languages,
                                      DeliveryLists* lists, std::vector<UserIdList>* cells,
                                      std::vector<DeliveryLists>* by_info,
                                      AlertSummary* summary) const {
  const size_t shards = lists->shards.size();
  const size_t blocks = info_languages.size();
  const std::vector<std::string> languages = Languages();
  std::vector<uint32_t> block_of(256, 0);
  if (blocks > 0) {
    block_of = InfoBlockOfCodes(languages, info_languages);
    by_info->assign(blocks, DeliveryLists());
    for (DeliveryLists& b : *by_info) b.shards.resize(shards);
  }
  std::vector<uint64_t> stale(shards, 0), unknown(shards, 0), code_counts(shards * 256, 0);
  tbb::parallel_for(tbb::blocked_range<size_t>(0, shards, 1), [&](const auto& r) {
    std::vector<Value> v;
    for (size_t s = r.begin(); s < r.end(); ++s) {
      UserIdList& users = lists->shards[s];
      const size_t n = users.size();
      v.resize(n);
      for (size_t i = 0; i < n; i += 4096) {  // the reader lock a piece at a time
        LookUp(users.data() + i, std::min<size_t>(4096, n - i), v.data() + i);
      }
      size_t kept = 0;
      for (size_t i = 0; i < n; ++i) {
        const uint32_t t = v[i].updated_at;
        if (max_age) {
          if (!IsFresh(t, cutoff)) {
            ++stale[s];
            continue;
          }
          unknown[s] += t == 0;
        }
        users[kept] = users[i];
        if (cells != nullptr) (*cells)[s][kept] = (*cells)[s][i];
        v[kept] = v[i];
        ++kept;
      }
      users.resize(kept);
      if (cells != nullptr) (*cells)[s].resize(kept);
      if (blocks == 0) continue;
      // Counted first, so each block's list is sized once.
      uint64_t* count = code_counts.data() + s * 256;
      for (size_t i = 0; i < kept; ++i) ++count[v[i].lang];
      std::vector<uint64_t> in_block(blocks, 0);
      for (size_t c = 0; c < 256; ++c) in_block[block_of[c]] += count[c];
      std::vector<uint64_t*> out(blocks);
      for (size_t k = 0; k < blocks; ++k) {
        UserIdList& list = (*by_info)[k].shards[s];
        list.resize(in_block[k]);
        out[k] = list.data();
      }
      for (size_t i = 0; i < kept; ++i) *out[block_of[v[i].lang]]++ = users[i];
    }
  });
  summary->matched = 0;
  summary->per_shard.resize(shards);
  for (size_t s = 0; s < shards; ++s) {
    summary->per_shard[s] = lists->shards[s].size();
    summary->matched += lists->shards[s].size();
  }
  if (max_age) {
    summary->stale_skipped = 0;
    summary->unknown_age_kept = 0;
    for (size_t s = 0; s < shards; ++s) {
      summary->stale_skipped += stale[s];
      summary->unknown_age_kept += unknown[s];
    }
  }
  if (blocks > 0) {
    summary->by_info = InfoCountsOf(code_counts, shards, block_of, languages, info_languages);
  }
}

}  // namespace internal
}  // namespace fanout
