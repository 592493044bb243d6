// Copyright 2026 The fan-out engine authors.

#include "engine/snapshot_attributes.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "base/file_io.h"

namespace fanout {
namespace {

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "the snapshot format is little-endian");

struct AttrsRecord {
  uint32_t kinds;
  uint32_t language_count;
  uint64_t dictionary_bytes;
  uint64_t lang_offset;
  uint64_t updated_at_offset;
  uint64_t reserved[4];
};
static_assert(sizeof(AttrsRecord) == 64, "attrs record layout");
constexpr uint32_t kKindLang = 1, kKindUpdatedAt = 2;

uint64_t AlignUp64(uint64_t x) { return (x + 63) / 64 * 64; }

// Column offsets and the section's size.
struct Layout {
  uint64_t lang = 0, updated_at = 0, size = 0;
};
Layout LayOut(uint32_t kinds, uint64_t dict_bytes, uint64_t n) {
  Layout l;
  l.size = sizeof(AttrsRecord) + dict_bytes;
  if (kinds & kKindLang) {
    l.lang = AlignUp64(l.size);
    l.size = l.lang + n;
  }
  if (kinds & kKindUpdatedAt) {
    l.updated_at = AlignUp64(l.size);
    l.size = l.updated_at + 4 * n;
  }
  return l;
}

}  // namespace

std::string EncodeAttributeSection(const UserAttributes& attributes) {
  const uint64_t n = attributes.size();
  const std::string dict = absl::StrJoin(attributes.languages(), "\n");
  const uint32_t kinds = (attributes.has_lang() ? kKindLang : 0) |
                         (attributes.has_updated_at() ? kKindUpdatedAt : 0);
  const Layout l = LayOut(kinds, dict.size(), n);
  std::string out(l.size, '\0');
  AttrsRecord r{};
  r.kinds = kinds;
  r.language_count = static_cast<uint32_t>(attributes.languages().size());
  r.dictionary_bytes = dict.size();
  r.lang_offset = l.lang;
  r.updated_at_offset = l.updated_at;
  std::memcpy(&out[0], &r, sizeof(r));
  std::memcpy(&out[sizeof(r)], dict.data(), dict.size());
  if (kinds & kKindLang) std::memcpy(&out[l.lang], attributes.lang().data(), n);
  if (kinds & kKindUpdatedAt) {
    std::memcpy(&out[l.updated_at], attributes.updated_at().data(), 4 * n);
  }
  return out;
}

absl::StatusOr<std::shared_ptr<const UserAttributes>> DecodeAttributeSection(
    const char* data, uint64_t size, uint64_t n, std::shared_ptr<const void> owner) {
  if (size < sizeof(AttrsRecord)) {
    return absl::DataLossError(absl::StrCat("size ", size, " is less than its 64-byte record"));
  }
  AttrsRecord r;
  std::memcpy(&r, data, sizeof(r));
  if (r.kinds == 0 || (r.kinds & ~(kKindLang | kKindUpdatedAt)) != 0 ||
      std::any_of(std::begin(r.reserved), std::end(r.reserved), [](uint64_t v) { return v != 0; })) {
    return absl::DataLossError(absl::StrCat("unknown column kinds ", r.kinds, " or reserved fields"));
  }
  if (r.language_count > UserAttributes::kMaxLanguages ||
      r.dictionary_bytes > UserAttributes::kMaxDictionaryBytes || n > (uint64_t{1} << 58)) {
    return absl::DataLossError(absl::StrCat(r.language_count, " languages in ", r.dictionary_bytes,
                                            " bytes: more than the format allows"));
  }
  const Layout l = LayOut(r.kinds, r.dictionary_bytes, n);
  if (l.size != size || l.lang != r.lang_offset || l.updated_at != r.updated_at_offset) {
    return absl::DataLossError(absl::StrCat("size ", size, " and column offsets do not match ", n,
                                            " users (expected ", l.size, " bytes)"));
  }
  UserAttributes::Kinds kinds;
  kinds.lang = (r.kinds & kKindLang) != 0;
  kinds.updated_at = (r.kinds & kKindUpdatedAt) != 0;
  return UserAttributes::BorrowChecked(
      kinds, absl::string_view(data + sizeof(r), r.dictionary_bytes), r.language_count,
      data + l.lang, data + l.updated_at, n, std::move(owner));
}

}  // namespace fanout
