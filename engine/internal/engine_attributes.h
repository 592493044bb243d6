// Copyright 2026 The fan-out engine authors.
//
// The user attributes of an Engine (engine.h, "User attributes"): each
// user's language and updated_at as of the newest applied update, and the
// engine's language dictionary (code k: the k-th tag of the folder's
// `languages` file). Internal to Engine; not a stable API.

#ifndef FANOUT_ENGINE_INTERNAL_ENGINE_ATTRIBUTES_H_
#define FANOUT_ENGINE_INTERNAL_ENGINE_ATTRIBUTES_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "engine/delivery.h"
#include "engine/location_index.h"
#include "engine/location_update.h"
#include "engine/user_attributes.h"

namespace fanout {
namespace internal {

inline constexpr char kLanguagesFileName[] = "languages";

// A user id -> (updated_at, lang) table: open addressing with linear
// probing over packed 13-byte slots (key, updated_at, lang; one cache line
// read per lookup, mostly), grown by half past a load of 0.85, so 15-23
// bytes per user held. A slot is empty when both values are 0, which is
// why a user with neither is never stored. Erasing shifts the following
// entries back (no tombstones). Thread-safety: none (EngineAttributes
// guards it).
class AttributeTable {
 public:
  size_t size() const { return size_; }
  size_t MemoryBytes() const { return slots_.capacity() * sizeof(Slot); }
  void Reserve(size_t users);
  // false when absent.
  bool Find(uint64_t user, uint32_t* updated_at, uint8_t* lang) const;
  // Asks for the cache line where Find(user) starts (lookups of many
  // users prefetch some ahead: each is a cache miss in a big table).
  void Prefetch(uint64_t user) const {
    if (!slots_.empty()) __builtin_prefetch(&slots_[Home(user)]);
  }
  // REQUIRES: updated_at != 0 || lang != 0.
  void Set(uint64_t user, uint32_t updated_at, uint8_t lang);
  // An upsert's rule (EngineAttributes) in one probe: sets updated_at,
  // sets lang unless it is 0 (then the held one stays), and erases the
  // user when that leaves neither.
  void Update(uint64_t user, uint32_t updated_at, uint8_t lang);
  void Erase(uint64_t user);

 private:
  struct __attribute__((packed)) Slot {
    uint64_t user;
    uint32_t updated_at;
    uint8_t lang;
    bool empty() const { return updated_at == 0 && lang == 0; }
  };
  static_assert(sizeof(Slot) == 13, "packed slot");
  size_t Home(uint64_t user) const;
  size_t Next(size_t i) const { return i + 1 == slots_.size() ? 0 : i + 1; }
  // The slot holding `user`, or the empty slot ending its probe.
  size_t Probe(uint64_t user) const;
  void Rehash(size_t capacity);
  // Grows the table when one more user would pass the load limit.
  void GrowForOneMore();
  // Empties slot i (holding a user), shifting its run back.
  void EraseAt(size_t i);

  std::vector<Slot> slots_;
  size_t size_ = 0;
};

// The info block (MatchInfoBlock) of each one-byte language code, 256
// entries: code 0 (no language) and codes past `languages` get block 0.
// Shared by AlertExecutor's and EngineAttributes' split by info block.
std::vector<uint32_t> InfoBlockOfCodes(absl::Span<const std::string> languages,
                                       absl::Span<const std::string> info_languages);

// AlertSummary::by_info from per-shard counts of each language code
// (`code_counts`: `shards` rows of 256) and InfoBlockOfCodes' `block_of`:
// one entry per info block, its users and their counts by user language.
std::vector<AlertSummary::InfoCount> InfoCountsOf(absl::Span<const uint64_t> code_counts,
                                                  size_t shards,
                                                  absl::Span<const uint32_t> block_of,
                                                  absl::Span<const std::string> languages,
                                                  absl::Span<const std::string> info_languages);

// A user id -> (updated_at, lang) table beside the live index, holding only
// the users that have an attribute: an engine whose updates and checkpoint
// carry none holds nothing here, and its Apply only looks at each update's
// two fields (Apply's fast path). 13 bytes of key and values per user
// with attributes (AttributeTable: 15-23 bytes each with the table's load;
// bench/README.md, "User attributes in the Engine").
//
// Why beside the live index and not in it: alerts read the attributes of
// the users they matched (a lookup each, only when max_age_s or by_info is
// asked for), so the live index's runs, merges and update path stay as
// they are. What that costs: an alert's attributes are those of the
// newest applied update, which may be newer than the alert's view (a user
// who moves while an alert runs is found at its place before the move,
// with the move's updated_at). A checkpoint at S likewise holds each
// user's attributes of some later moment T; Open replays S+1 onwards over
// them, and since every rule below is "the newest given value wins", the
// state after the replay is exactly that of applying all updates in order.
//
// Rules (Engine::Apply documents them): an upsert sets updated_at to its
// own (0: none); an upsert's lang 0 keeps the user's language, another
// code sets it; a removal forgets both.
//
// Thread-safety: every method is safe from any thread (a shared mutex:
// Apply and LoadCheckpoint write, lookups read; the dictionary has its own
// mutex). Apply callers are serialised by the engine.
class EngineAttributes {
 public:
  struct Value {
    uint32_t updated_at = 0;
    uint8_t lang = 0;
  };

  // The dictionary of dir/languages (none when the file is missing).
  // `dir` empty: no file (tests). kDataLoss naming the file when a line is
  // not a normalised tag or a tag repeats.
  static absl::StatusOr<std::unique_ptr<EngineAttributes>> Open(const std::string& dir);

  // Adds the attributes of a checkpoint's entries (`run`: its users,
  // `attrs` parallel), mapping its dictionary onto the engine's (tags not
  // yet known are added, in memory: Persist writes them).
  absl::Status LoadCheckpoint(const SortedRun& run, const UserAttributes& attrs);

  // Checks a batch before it is logged: each lang code names a tag of the
  // dictionary. kInvalidArgument naming the update.
  absl::Status Check(absl::Span<const LocationUpdate> updates) const;
  // Applies a batch (after the live index did) per the rules above.
  // During Open's replay a code the dictionary does not hold is kDataLoss
  // (`what` names the file).
  absl::Status Apply(absl::Span<const LocationUpdate> updates, absl::string_view what = {});

  // The code of `tag` (normalised first: NormalizeLanguageTag), assigning
  // the next one and writing dir/languages (atomically, folder fsynced)
  // before returning it, so that no logged update names a code the folder
  // does not define. kInvalidArgument for a bad tag or past
  // UserAttributes::kMaxLanguages tags.
  absl::StatusOr<uint8_t> CodeOf(absl::string_view tag);
  // Writes dir/languages when LoadCheckpoint added tags.
  absl::Status Persist();
  std::vector<std::string> Languages() const;

  // True when nothing was ever given: no tag, no user with an attribute
  // (alerts then take the executor's path unchanged).
  bool empty() const;
  size_t users() const;
  size_t MemoryBytes() const;

  // out[i] = the attributes of users[i] (zeros when it has none).
  void LookUp(const uint64_t* users, size_t n, Value* out) const;

  // The attributes of `run`'s entries, for a checkpoint's attrs section
  // (the lang column when the dictionary has a tag, updated_at when any
  // user was given one); null when empty().
  std::shared_ptr<const UserAttributes> AlignedTo(const SortedRun& run) const;

  // Engine::Alert's freshness and language split over lists the executor
  // made without attributes: with max_age (cutoff = as_of - max_age_s),
  // drops users whose updated_at is known and before the cutoff (and
  // `cells`, when given, alongside) and sets the summary's stale_skipped,
  // unknown_age_kept, matched and per_shard as the static executor does;
  // with info_languages, fills *by_info and summary->by_info.
  void FilterAndSplit(bool max_age, uint64_t cutoff,
                      absl::Span<const std::string> info_languages, DeliveryLists* lists,
                      std::vector<UserIdList>* cells, std::vector<DeliveryLists>* by_info,
                      AlertSummary* summary) const;

 private:
  explicit EngineAttributes(std::string dir) : dir_(std::move(dir)) {}
  absl::StatusOr<uint8_t> CodeOfLocked(const std::string& tag) ABSL_EXCLUSIVE_LOCKS_REQUIRED(dict_mu_);
  absl::Status WriteLanguagesLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(dict_mu_);

  const std::string dir_;
  mutable std::mutex dict_mu_;
  std::vector<std::string> languages_ ABSL_GUARDED_BY(dict_mu_);
  bool dict_dirty_ ABSL_GUARDED_BY(dict_mu_) = false;
  std::atomic<uint32_t> language_count_{0};

  mutable std::shared_mutex mu_;
  // Only users with an attribute.
  AttributeTable values_ ABSL_GUARDED_BY(mu_);
  bool any_updated_at_ ABSL_GUARDED_BY(mu_) = false;
  std::atomic<bool> nonempty_{false};
};

}  // namespace internal
}  // namespace fanout

#endif  // FANOUT_ENGINE_INTERNAL_ENGINE_ATTRIBUTES_H_
