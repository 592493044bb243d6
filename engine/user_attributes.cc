// Copyright 2026 The fan-out engine authors.

#include "engine/user_attributes.h"

#include <algorithm>
#include <charconv>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "base/file_io.h"
#include "engine/radix_sort.h"
#include "oneapi/tbb/blocked_range.h"
#include "oneapi/tbb/parallel_for.h"

namespace fanout {
namespace {

struct OwnedAttributeColumns {
  std::vector<uint8_t> lang;
  std::vector<uint32_t> updated_at;
};

absl::string_view PrimarySubtag(absl::string_view tag) {
  return tag.substr(0, tag.find('-'));
}

}  // namespace

std::shared_ptr<const UserAttributes> UserAttributes::Own(Kinds kinds,
                                                          std::vector<std::string> languages,
                                                          std::vector<uint8_t> lang,
                                                          std::vector<uint32_t> updated_at,
                                                          size_t n) {
  auto owned = std::make_shared<OwnedAttributeColumns>();
  owned->lang = std::move(lang);
  owned->updated_at = std::move(updated_at);
  absl::Span<const uint8_t> l(owned->lang);
  absl::Span<const uint32_t> u(owned->updated_at);
  return Borrow(kinds, std::move(languages), l, u, n, std::move(owned));
}

std::shared_ptr<const UserAttributes> UserAttributes::Borrow(Kinds kinds,
                                                             std::vector<std::string> languages,
                                                             absl::Span<const uint8_t> lang,
                                                             absl::Span<const uint32_t> updated_at,
                                                             size_t n,
                                                             std::shared_ptr<const void> owner) {
  auto a = std::shared_ptr<UserAttributes>(new UserAttributes());
  a->kinds_ = kinds;
  a->languages_ = std::move(languages);
  a->lang_ = kinds.lang ? lang : absl::Span<const uint8_t>();
  a->updated_at_ = kinds.updated_at ? updated_at : absl::Span<const uint32_t>();
  a->size_ = n;
  a->owner_ = std::move(owner);
  return a;
}

absl::StatusOr<std::shared_ptr<const UserAttributes>> UserAttributes::BorrowChecked(
    Kinds kinds, absl::string_view dictionary, uint32_t language_count, const char* lang_data,
    const char* updated_at_data, size_t n, std::shared_ptr<const void> owner) {
  std::vector<std::string> tags;
  if (language_count > 0) tags = absl::StrSplit(dictionary, '\n');
  if (tags.size() != language_count) {
    return absl::DataLossError(absl::StrCat("the dictionary holds ", tags.size(),
                                            " tags, the header says ", language_count));
  }
  for (size_t k = 0; k < tags.size(); ++k) {
    absl::StatusOr<std::string> norm = NormalizeLanguageTag(tags[k]);
    if (!norm.ok() || *norm != tags[k] ||
        std::find(tags.begin(), tags.begin() + k, tags[k]) != tags.begin() + k) {
      return absl::DataLossError(absl::StrCat("dictionary tag ", k, " ", QuoteForMessage(tags[k]),
                                              " is not a distinct normalised language tag"));
    }
  }
  absl::Span<const uint8_t> lang;
  absl::Span<const uint32_t> updated_at;
  if (kinds.lang) {
    lang = absl::MakeConstSpan(reinterpret_cast<const uint8_t*>(lang_data), n);
    for (size_t i = 0; i < n; ++i) {
      if (lang[i] > language_count) {
        return absl::DataLossError(absl::StrCat("entry ", i, " has lang code ", lang[i],
                                                " but the dictionary holds ", language_count,
                                                " languages"));
      }
    }
  }
  if (kinds.updated_at) {
    updated_at = absl::MakeConstSpan(reinterpret_cast<const uint32_t*>(updated_at_data), n);
  }
  return Borrow(kinds, std::move(tags), lang, updated_at, n, std::move(owner));
}

size_t UserAttributes::MemoryBytes() const {
  size_t bytes = lang_.size() + updated_at_.size() * sizeof(uint32_t);
  for (const std::string& tag : languages_) bytes += tag.size() + 1;
  return bytes;
}

absl::StatusOr<std::string> NormalizeLanguageTag(absl::string_view text) {
  auto bad = [&](absl::string_view why) {
    return absl::InvalidArgumentError(
        absl::StrCat("lang ", QuoteForMessage(text), " is not a BCP-47 language tag (", why, ")"));
  };
  if (text.empty()) return bad("empty");
  if (text.size() > UserAttributes::kMaxTagLength) {
    return bad(absl::StrCat("longer than ", UserAttributes::kMaxTagLength, " characters"));
  }
  std::string out;
  out.reserve(text.size());
  bool first = true, after_singleton = false;
  for (absl::string_view sub : absl::StrSplit(text, '-')) {
    if (sub.empty() || sub.size() > 8) return bad("each subtag has 1 to 8 letters or digits");
    for (char c : sub) {
      if (!absl::ascii_isalnum(static_cast<unsigned char>(c))) {
        return bad("each subtag has 1 to 8 letters or digits");
      }
      if (first && !absl::ascii_isalpha(static_cast<unsigned char>(c))) {
        return bad("the first subtag is letters only");
      }
    }
    std::string s = absl::AsciiStrToLower(sub);
    const bool alpha = std::all_of(s.begin(), s.end(), [](char c) {
      return absl::ascii_isalpha(static_cast<unsigned char>(c));
    });
    if (!first && !after_singleton) {
      if (s.size() == 2 && alpha) {
        s = absl::AsciiStrToUpper(s);  // region
      } else if (s.size() == 4 && alpha) {
        s[0] = absl::ascii_toupper(static_cast<unsigned char>(s[0]));  // script
      }
    }
    if (s.size() == 1) after_singleton = true;  // extensions and private use: lower case
    if (!first) out.push_back('-');
    out += s;
    first = false;
  }
  return out;
}

size_t MatchInfoBlock(absl::string_view user_tag, absl::Span<const std::string> info_languages) {
  if (user_tag.empty()) return 0;
  for (size_t k = 0; k < info_languages.size(); ++k) {
    if (absl::EqualsIgnoreCase(user_tag, info_languages[k])) return k;
  }
  const absl::string_view primary = PrimarySubtag(user_tag);
  for (size_t k = 0; k < info_languages.size(); ++k) {
    if (absl::EqualsIgnoreCase(primary, PrimarySubtag(info_languages[k]))) return k;
  }
  return 0;
}

absl::StatusOr<uint8_t> LanguageDictionary::CodeOf(const std::string& tag) {
  for (size_t k = 0; k < tags_.size(); ++k) {
    if (tags_[k] == tag) return static_cast<uint8_t>(k + 1);
  }
  if (tags_.size() >= UserAttributes::kMaxLanguages) {
    return absl::InvalidArgumentError(
        absl::StrCat("lang ", QuoteForMessage(tag), " would be distinct language tag number ",
                     tags_.size() + 1, "; at most ", UserAttributes::kMaxLanguages,
                     " distinct tags are supported (one-byte codes)"));
  }
  tags_.push_back(tag);
  return static_cast<uint8_t>(tags_.size());
}

std::shared_ptr<const UserAttributes> AlignAttributes(absl::Span<const UserRecord> rows,
                                                      const UserAttributes* row_attributes,
                                                      const LocationIndex& index) {
  if (row_attributes == nullptr || !row_attributes->kinds().any()) return nullptr;
  const UserAttributes::Kinds kinds = row_attributes->kinds();
  const size_t n = rows.size();
  const SortedRun run = index.run();
  const size_t m = run.size();
  // Rows by user id, stably: the last row of a user is the one Build kept.
  std::vector<uint64_t> row_users(n), row_at(n);
  tbb::parallel_for(tbb::blocked_range<size_t>(0, n, 1 << 16), [&](const auto& r) {
    for (size_t i = r.begin(); i < r.end(); ++i) {
      row_users[i] = rows[i].user_id;
      row_at[i] = i;
    }
  });
  RadixSortPairs(&row_users, &row_at);
  std::vector<uint64_t> entry_users(run.users.begin(), run.users.end()), entry_at(m);
  tbb::parallel_for(tbb::blocked_range<size_t>(0, m, 1 << 16), [&](const auto& r) {
    for (size_t j = r.begin(); j < r.end(); ++j) entry_at[j] = j;
  });
  RadixSortPairs(&entry_users, &entry_at);

  std::vector<uint8_t> lang(kinds.lang ? m : 0);
  std::vector<uint32_t> updated_at(kinds.updated_at ? m : 0);
  const absl::Span<const uint8_t> row_lang = row_attributes->lang();
  const absl::Span<const uint32_t> row_updated = row_attributes->updated_at();
  tbb::parallel_for(tbb::blocked_range<size_t>(0, m, 1 << 16), [&](const auto& r) {
    size_t p = static_cast<size_t>(
        std::lower_bound(row_users.begin(), row_users.end(), entry_users[r.begin()]) -
        row_users.begin());
    for (size_t j = r.begin(); j < r.end(); ++j) {
      const uint64_t u = entry_users[j];
      while (p < n && row_users[p] < u) ++p;
      while (p + 1 < n && row_users[p + 1] == u) ++p;
      const size_t row = row_at[p];
      if (kinds.lang) lang[entry_at[j]] = row_lang[row];
      if (kinds.updated_at) updated_at[entry_at[j]] = row_updated[row];
    }
  });
  return UserAttributes::Own(kinds, row_attributes->languages(), std::move(lang),
                             std::move(updated_at), m);
}

absl::StatusOr<uint32_t> ParseUpdatedAt(absl::string_view text) {
  if (text.empty()) return 0;
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || p != text.data() + text.size() || v > UINT32_MAX) {
    return absl::InvalidArgumentError(
        absl::StrCat("updated_at ", QuoteForMessage(text),
                     " is not Unix seconds in [0, 4294967295] (empty or 0: unknown)"));
  }
  return static_cast<uint32_t>(v);
}

AttributeColumns FindAttributeColumns(absl::Span<const absl::string_view> header) {
  AttributeColumns cols;
  for (size_t c = 3; c < header.size(); ++c) {
    const std::string lower = absl::AsciiStrToLower(header[c]);
    if (lower == "lang" && cols.lang < 0) cols.lang = static_cast<int>(c);
    if (lower == "updated_at" && cols.updated_at < 0) cols.updated_at = static_cast<int>(c);
  }
  return cols;
}

absl::StatusOr<std::string> ParseLangField(absl::string_view field, int column) {
  field = absl::StripAsciiWhitespace(field);
  if (field.empty()) return std::string();
  absl::StatusOr<std::string> tag = NormalizeLanguageTag(field);
  if (!tag.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("column ", column + 1, " (lang): ", tag.status().message()));
  }
  return tag;
}

absl::StatusOr<uint32_t> ParseUpdatedAtField(absl::string_view field, int column) {
  absl::StatusOr<uint32_t> t = ParseUpdatedAt(absl::StripAsciiWhitespace(field));
  if (!t.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("column ", column + 1, " (updated_at): ", t.status().message()));
  }
  return t;
}

absl::StatusOr<int64_t> ParseDurationSeconds(absl::string_view text) {
  absl::string_view digits = text;
  int64_t unit = 1;
  if (!digits.empty()) {
    switch (digits.back()) {
      case 's': unit = 1; digits.remove_suffix(1); break;
      case 'm': unit = 60; digits.remove_suffix(1); break;
      case 'h': unit = 3600; digits.remove_suffix(1); break;
      case 'd': unit = 86400; digits.remove_suffix(1); break;
      default: break;
    }
  }
  int64_t v = 0;
  auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
  if (digits.empty() || ec != std::errc() || p != digits.data() + digits.size() || v <= 0 ||
      v > (int64_t{1} << 40) / unit) {
    return absl::InvalidArgumentError(
        absl::StrCat("duration ", QuoteForMessage(text),
                     " is not a positive whole number of seconds, optionally with a unit "
                     "(s, m, h, d: e.g. 6h, 90m, 2d, 3600)"));
  }
  return v * unit;
}

absl::StatusOr<int64_t> ParseUnixTime(absl::string_view text) {
  int64_t v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (!text.empty() && ec == std::errc() && p == text.data() + text.size() && v >= 0) return v;
  absl::Time t;
  std::string err;
  if (absl::ParseTime(absl::RFC3339_full, std::string(text), &t, &err)) {
    return absl::ToUnixSeconds(t);
  }
  return absl::InvalidArgumentError(
      absl::StrCat("time ", QuoteForMessage(text),
                   " is neither Unix seconds nor RFC 3339 (2026-12-02T20:00:00-05:00)"));
}

absl::StatusOr<int64_t> AlertTime(absl::string_view sent, std::optional<int64_t> now) {
  if (now.has_value()) return *now;
  if (sent.empty()) return absl::ToUnixSeconds(absl::Now());
  absl::Time t;
  std::string err;
  if (!absl::ParseTime(absl::RFC3339_full, std::string(sent), &t, &err)) {
    return absl::InvalidArgumentError(
        absl::StrCat("the alert's <sent> ", QuoteForMessage(sent), " is not an RFC 3339 time"));
  }
  return absl::ToUnixSeconds(t);
}

}  // namespace fanout
