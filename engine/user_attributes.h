// Copyright 2026 The fan-out engine authors.

#ifndef FANOUT_ENGINE_USER_ATTRIBUTES_H_
#define FANOUT_ENGINE_USER_ATTRIBUTES_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "engine/location_index.h"
#include "engine/user_record.h"

namespace fanout {

// Optional per-user attributes: the user's language, a BCP-47
// tag, and when their location was last updated, Unix seconds. Held as
// columns parallel to something else's entries: to the rows of a users
// file while it is read, to the entries of a LocationIndex (entry i of
// index.run()) once built (AlignAttributes). An index without attributes
// holds none of this: the columns are a separate object, never a field of
// LocationIndex.
//
// Compact: a language is a 1-byte code into a per-object dictionary of at
// most kMaxLanguages distinct tags (code 0: no language; code k: tag
// languages[k - 1]); updated_at is a u32 of seconds (0: unknown; u32 runs
// to the year 2106). 5 bytes a user with both columns; a column absent
// from the input is absent here too (an empty span, no bytes).
//
// The columns either belong to the object or borrow memory an owner keeps
// alive (a mapped users file or snapshot).
//
// Thread-safety: immutable; safe from many threads.
class UserAttributes {
 public:
  // The most distinct language tags one file or index holds: a one-byte
  // code with 0 reserved for "none". A 256th distinct tag is refused,
  // naming this limit (real populations use a few dozen).
  static constexpr size_t kMaxLanguages = 255;
  // The longest tag NormalizeLanguageTag accepts, and so the longest a
  // dictionary stored as its tags joined by '\n' (users files, snapshots)
  // can be: what their readers check before trusting a stored length.
  static constexpr size_t kMaxTagLength = 35;
  static constexpr size_t kMaxDictionaryBytes = kMaxLanguages * (kMaxTagLength + 1);

  // Which columns there are.
  struct Kinds {
    bool lang = false;
    bool updated_at = false;
    bool any() const { return lang || updated_at; }
  };
  // REQUIRES: each column of `kinds` has `n` values, each other column
  // none; every lang code <= languages.size(); languages normalised
  // (NormalizeLanguageTag) and distinct.
  static std::shared_ptr<const UserAttributes> Own(Kinds kinds, std::vector<std::string> languages,
                                                   std::vector<uint8_t> lang,
                                                   std::vector<uint32_t> updated_at, size_t n);
  static std::shared_ptr<const UserAttributes> Borrow(Kinds kinds,
                                                      std::vector<std::string> languages,
                                                      absl::Span<const uint8_t> lang,
                                                      absl::Span<const uint32_t> updated_at,
                                                      size_t n, std::shared_ptr<const void> owner);
  // Borrow for columns read from a file, checked first: `dictionary` (the
  // tags joined by '\n') must hold `language_count` distinct normalised
  // tags, and every lang code must name one of them or be 0. `lang` (n
  // bytes) and `updated_at` (n u32) are read only for the columns of
  // `kinds`. kDataLoss saying what is wrong, without the file's name (the
  // caller adds it). Shared by the users binary and the snapshot readers.
  static absl::StatusOr<std::shared_ptr<const UserAttributes>> BorrowChecked(
      Kinds kinds, absl::string_view dictionary, uint32_t language_count, const char* lang,
      const char* updated_at, size_t n, std::shared_ptr<const void> owner);

  size_t size() const { return size_; }
  Kinds kinds() const { return kinds_; }
  bool has_lang() const { return kinds_.lang; }
  bool has_updated_at() const { return kinds_.updated_at; }
  const std::vector<std::string>& languages() const { return languages_; }
  absl::Span<const uint8_t> lang() const { return lang_; }
  absl::Span<const uint32_t> updated_at() const { return updated_at_; }
  // The tag of entry i, "" when it has none (or there is no lang column).
  absl::string_view LanguageOf(size_t i) const {
    if (lang_.empty() || lang_[i] == 0) return {};
    return languages_[lang_[i] - 1];
  }
  // Bytes of the columns and dictionary.
  size_t MemoryBytes() const;

 private:
  UserAttributes() = default;
  std::vector<std::string> languages_;
  absl::Span<const uint8_t> lang_;
  absl::Span<const uint32_t> updated_at_;
  size_t size_ = 0;
  Kinds kinds_;
  std::shared_ptr<const void> owner_;
};

// A BCP-47 language tag, syntax-checked and in the case BCP 47 recommends
// (language lower case, 4-letter script title case, 2-letter region upper
// case, the rest lower case): "EN-us" -> "en-US", "zh-hant-tw" ->
// "zh-Hant-TW". Accepted: subtags of 1 to 8 ASCII letters or digits joined
// by '-', the first all letters, at most 35 characters in all (the
// registry's longest well-formed tags fit). kInvalidArgument otherwise,
// quoting the text. The empty string is not a tag (callers treat an empty
// field as "no language").
absl::StatusOr<std::string> NormalizeLanguageTag(absl::string_view text);

// Which of an alert's info blocks a reader of `user_tag` gets:
// the first block whose language equals the tag (case-insensitive), else
// the first whose primary subtag ("fr" of "fr-CA") equals the tag's, else
// block 0. A user without a language ("") gets block 0.
// REQUIRES: !info_languages.empty().
size_t MatchInfoBlock(absl::string_view user_tag, absl::Span<const std::string> info_languages);

// Growing dictionary of tags for readers: code of a (normalised) tag,
// assigning the next one; kInvalidArgument past kMaxLanguages.
// Thread-safety: none; one reader owns it.
class LanguageDictionary {
 public:
  absl::StatusOr<uint8_t> CodeOf(const std::string& tag);
  const std::vector<std::string>& tags() const { return tags_; }

 private:
  std::vector<std::string> tags_;
};

// The attributes of a users file's rows carried over to the entries of an
// index built from those rows (LocationIndex::Build: for a user id given
// several times the last row wins, and so do its attributes). Two radix
// sorts of (user id, position) pairs and a merge: about 32 bytes per row
// of scratch, only when the input has attributes. Returns null when `rows`
// has none. REQUIRES: `index` was built from `rows`; row_attributes->size()
// == rows.size().
std::shared_ptr<const UserAttributes> AlignAttributes(absl::Span<const UserRecord> rows,
                                                      const UserAttributes* row_attributes,
                                                      const LocationIndex& index);

// An updated_at field of a users or updates CSV: Unix seconds in
// [0, 2^32), empty or "0" for unknown (returned as 0). kInvalidArgument
// quoting the text otherwise (the caller names the line and column).
absl::StatusOr<uint32_t> ParseUpdatedAt(absl::string_view text);

// Where a CSV header (a users file, `fanout apply`'s updates) names the
// attribute columns: `lang` and `updated_at` in any case, after the first
// three columns, the first of each name counting. 0-based; -1: absent.
struct AttributeColumns {
  int lang = -1;
  int updated_at = -1;
  int last() const { return lang > updated_at ? lang : updated_at; }
};
AttributeColumns FindAttributeColumns(absl::Span<const absl::string_view> header);

// A row's lang field in (0-based) column `column`, whitespace trimmed:
// the normalised tag, "" when empty. A row's updated_at field likewise
// (ParseUpdatedAt). kInvalidArgument "column N (lang): ..." or "column N
// (updated_at): ..." (the caller names the file and line).
absl::StatusOr<std::string> ParseLangField(absl::string_view field, int column);
absl::StatusOr<uint32_t> ParseUpdatedAtField(absl::string_view field, int column);

// A duration for --max-age: "6h", "90m", "2d", "45s" or plain seconds
// ("3600"); kInvalidArgument otherwise (also for 0 and negatives).
absl::StatusOr<int64_t> ParseDurationSeconds(absl::string_view text);

// A time for --now and CAP <sent>: Unix seconds ("1767225600") or RFC 3339
// ("2026-12-02T20:00:00-05:00"); kInvalidArgument otherwise.
absl::StatusOr<int64_t> ParseUnixTime(absl::string_view text);

// The time an alert's freshness is judged at (--max-age): `now` when given
// (a replay, a test), else the alert's CAP <sent> when it has one, else the
// current time. kInvalidArgument naming <sent> when it is not RFC 3339.
absl::StatusOr<int64_t> AlertTime(absl::string_view sent, std::optional<int64_t> now);

}  // namespace fanout

#endif  // FANOUT_ENGINE_USER_ATTRIBUTES_H_
