// Copyright 2026 The fan-out engine authors.

#include "mpi/delivery_merge.h"

#include <algorithm>
#include <cstring>
#include <functional>
#include <queue>
#include <utility>

#include <xxhash.h>

#include "absl/strings/str_join.h"
#include "geo/cell_center.h"
#include "oneapi/tbb/blocked_range.h"
#include "oneapi/tbb/parallel_for.h"
#include "s2/s2cell_id.h"

namespace fanout {

std::vector<uint64_t> CountsByLanguageCode(const AlertSummary& s, const UserAttributes* attrs) {
  std::vector<uint64_t> counts(UserAttributes::kMaxLanguages + 1, 0);
  for (const AlertSummary::InfoCount& block : s.by_info) {
    for (const auto& [tag, n] : block.by_user_language) {
      size_t code = 0;
      if (!tag.empty() && attrs != nullptr) {
        const auto& tags = attrs->languages();
        code = std::find(tags.begin(), tags.end(), tag) - tags.begin() + 1;
      }
      // A tag outside the dictionary cannot be (the executor counts codes
      // of it); were it there, it would be counted as none, not past the end.
      counts[code < counts.size() ? code : 0] += n;
    }
  }
  return counts;
}

std::vector<AlertSummary::InfoCount> InfoCountsFromCodes(const std::vector<uint64_t>& counts,
                                                        const UserAttributes* attrs,
                                                        const std::vector<std::string>& info_languages) {
  std::vector<AlertSummary::InfoCount> out(info_languages.size());
  for (size_t k = 0; k < out.size(); ++k) out[k].language = info_languages[k];
  const bool with_lang = attrs != nullptr && attrs->has_lang();
  for (size_t c = 0; c < counts.size(); ++c) {
    if (counts[c] == 0) continue;
    const std::string tag = c == 0 || !with_lang ? std::string() : attrs->languages()[c - 1];
    AlertSummary::InfoCount& block = out[c == 0 ? 0 : MatchInfoBlock(tag, info_languages)];
    block.users += counts[c];
    block.by_user_language.emplace_back(tag, counts[c]);
  }
  return out;
}

uint64_t DictionaryDigest(const UserAttributes* attrs) {
  if (attrs == nullptr || !attrs->has_lang()) return 0;
  const std::string joined = absl::StrJoin(attrs->languages(), "\n");
  return XXH3_64bits(joined.data(), joined.size()) | 1;  // never 0, the digest of none
}

DeliveryLists NearestKeys(const S2Point& origin, const std::vector<UserIdList>& cells) {
  DeliveryLists keys;
  keys.shards.resize(cells.size());
  tbb::parallel_for(tbb::blocked_range<size_t>(0, cells.size(), 1), [&](const auto& r) {
    for (size_t s = r.begin(); s < r.end(); ++s) {
      keys.shards[s].resize(cells[s].size());
      for (size_t i = 0; i < cells[s].size(); ++i) {
        const double chord2 = (CellCenter(S2CellId(cells[s][i])) - origin).Norm2();
        uint64_t bits;
        std::memcpy(&bits, &chord2, sizeof(bits));
        keys.shards[s][i] = bits;
      }
    }
  });
  return keys;
}

// One walk per list with a cursor per block: each block's list follows the
// plain list's order.
DeliveryLists BlockTags(const DeliveryLists& lists, const std::vector<DeliveryLists>& by_info) {
  DeliveryLists tags;
  tags.shards.resize(lists.shards.size());
  tbb::parallel_for(tbb::blocked_range<size_t>(0, lists.shards.size(), 1), [&](const auto& r) {
    std::vector<size_t> at(by_info.size());
    for (size_t s = r.begin(); s < r.end(); ++s) {
      std::fill(at.begin(), at.end(), 0);
      const UserIdList& users = lists.shards[s];
      tags.shards[s].resize(users.size());
      for (size_t i = 0; i < users.size(); ++i) {
        size_t k = 0;
        while (k < by_info.size() && !(at[k] < by_info[k].shards[s].size() &&
                                       by_info[k].shards[s][at[k]] == users[i])) {
          ++k;
        }
        // Every listed user is in exactly one block (alert_executor.h).
        tags.shards[s][i] = k;
        if (k < by_info.size()) ++at[k];
      }
    }
  });
  return tags;
}

void MergeNearestRuns(const std::vector<uint64_t>& run_sizes, int ranks, const DeliveryLists& keys,
                      DeliveryLists* lists, DeliveryLists* tags) {
  const size_t shards = lists->shards.size();
  tbb::parallel_for(tbb::blocked_range<size_t>(0, shards, 1), [&](const auto& r) {
    for (size_t s = r.begin(); s < r.end(); ++s) {
      std::vector<size_t> at(ranks), end(ranks);
      size_t offset = 0;
      for (int k = 0; k < ranks; ++k) {
        at[k] = offset;
        offset += run_sizes[static_cast<size_t>(k) * shards + s];
        end[k] = offset;
      }
      const UserIdList& key = keys.shards[s];
      using Head = std::pair<uint64_t, int>;  // (key, rank): ties to the lower rank
      std::priority_queue<Head, std::vector<Head>, std::greater<Head>> heads;
      for (int k = 0; k < ranks; ++k) {
        if (at[k] < end[k]) heads.push({key[at[k]], k});
      }
      UserIdList users(offset), tag(tags != nullptr ? offset : 0);
      for (size_t i = 0; i < offset; ++i) {
        const int k = heads.top().second;
        heads.pop();
        users[i] = lists->shards[s][at[k]];
        if (tags != nullptr) tag[i] = tags->shards[s][at[k]];
        if (++at[k] < end[k]) heads.push({key[at[k]], k});
      }
      lists->shards[s] = std::move(users);
      if (tags != nullptr) tags->shards[s] = std::move(tag);
    }
  });
}

std::vector<DeliveryLists> SplitByTags(const DeliveryLists& lists, const DeliveryLists& tags,
                                       size_t blocks) {
  std::vector<DeliveryLists> out(blocks);
  for (DeliveryLists& b : out) b.shards.resize(lists.shards.size());
  tbb::parallel_for(tbb::blocked_range<size_t>(0, lists.shards.size(), 1), [&](const auto& r) {
    for (size_t s = r.begin(); s < r.end(); ++s) {
      for (size_t i = 0; i < lists.shards[s].size(); ++i) {
        out[tags.shards[s][i]].shards[s].push_back(lists.shards[s][i]);
      }
    }
  });
  return out;
}

}  // namespace fanout
