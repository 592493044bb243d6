// Copyright 2026 The fan-out engine authors.

#include "mpi/users_share.h"

#include <sys/mman.h>
#include <unistd.h>
#include <xxhash.h>

#include <algorithm>
#include <cstring>

#include "absl/numeric/int128.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "base/status_macros.h"
#include "engine/users_binary.h"

namespace fanout {
namespace {

// The first line start at or after `at` (a line starts after a newline).
uint64_t LineStartFrom(absl::string_view text, uint64_t header_end, uint64_t at) {
  if (at <= header_end) return header_end;
  if (at >= text.size()) return text.size();
  if (text[at - 1] == '\n') return at;
  const size_t nl = text.find('\n', at);
  return nl == absl::string_view::npos ? text.size() : nl + 1;
}

// "NAME:LINE: reason" from ParseUsersCsv with its line counted in the
// whole file instead of in header + share.
std::string ShiftLine(absl::string_view message, absl::string_view name, uint64_t first_line) {
  const std::string prefix = absl::StrCat(name, ":");
  if (!absl::StartsWith(message, prefix)) return std::string(message);
  absl::string_view rest = message.substr(prefix.size());
  const size_t colon = rest.find(':');
  uint64_t line = 0;
  if (colon == absl::string_view::npos || !absl::SimpleAtoi(rest.substr(0, colon), &line) ||
      line < 2) {
    return std::string(message);
  }
  return absl::StrCat(prefix, first_line + line - 2, rest.substr(colon));
}

// Drops the pages of [begin, end) of the mapping from this process (they
// stay in the page cache): a share read once is not kept resident, so a
// rank's memory is what it holds, not the file it has read through.
void ReleasePages(const MappedFile& file, uint64_t begin, uint64_t end) {
  static const uint64_t page = static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
  begin -= begin % page;
  if (end <= begin || file.size() == 0) return;
  ::madvise(const_cast<char*>(file.data()) + begin, end - begin, MADV_DONTNEED);
}

}  // namespace

absl::StatusOr<UsersShare> UsersShare::Open(const std::string& path, int rank, int ranks) {
  UsersShare s;
  s.path_ = path;
  ASSIGN_OR_RETURN(std::unique_ptr<MappedFile> file, MappedFile::Open(path));
  s.file_ = std::move(file);
  s.binary_ = IsBinaryUsersPath(path);
  const absl::string_view text = s.file_->view();
  if (s.binary_) {
    ASSIGN_OR_RETURN(const UsersBinaryHeader h, ReadUsersBinaryHeader(*s.file_));
    s.binary_header_ = h;
    s.header_end_ = kUsersHeaderSize;
    const uint64_t first = h.count * rank / ranks, last = h.count * (rank + 1) / ranks;
    s.begin_ = kUsersHeaderSize + first * sizeof(UserRecord);
    s.end_ = kUsersHeaderSize + last * sizeof(UserRecord);
  } else {
    if (text.empty()) return absl::InvalidArgumentError(absl::StrCat(path, ": empty file, no header"));
    const size_t nl = text.find('\n');
    s.header_end_ = nl == absl::string_view::npos ? text.size() : nl + 1;
    const uint64_t body = text.size() - s.header_end_;
    auto nominal = [&](int r) {
      return s.header_end_ + static_cast<uint64_t>((absl::uint128(body) * r) / ranks);
    };
    s.begin_ = LineStartFrom(text, s.header_end_, nominal(rank));
    s.end_ = rank + 1 == ranks ? text.size() : LineStartFrom(text, s.header_end_, nominal(rank + 1));
    s.end_ = std::max(s.end_, s.begin_);
    s.lines_ = std::count(text.begin() + s.begin_, text.begin() + s.end_, '\n');
    ReleasePages(*s.file_, s.begin_, s.end_);
  }
  RETURN_IF_ERROR(s.file_->CheckIntact());
  return s;
}

absl::StatusOr<std::vector<UserRecord>> UsersShare::Read(
    uint64_t first_line, const UsersCsvOptions& options, UsersCsvStats* stats,
    std::shared_ptr<const UserAttributes>* attributes) const {
  if (attributes != nullptr) attributes->reset();
  const absl::string_view text = file_->view();
  std::vector<UserRecord> out;
  if (binary_) {
    const uint64_t first = (begin_ - kUsersHeaderSize) / sizeof(UserRecord);
    out.resize((end_ - begin_) / sizeof(UserRecord));
    if (!out.empty()) std::memcpy(out.data(), text.data() + begin_, end_ - begin_);
    RETURN_IF_ERROR(file_->CheckIntact());
    ReleasePages(*file_, begin_, end_);
    for (size_t i = 0; i < out.size(); ++i) {
      const UserRecord& r = out[i];
      if (r.IsValid()) continue;
      return absl::InvalidArgumentError(absl::StrCat(
          path_, ": record ", first + i, " (at byte ", begin_ + i * sizeof(UserRecord),
          ", user ", r.user_id, "): location (", r.lat(), ", ", r.lng(),
          ") is out of range (lat_e7 ", r.lat_e7, ", lng_e7 ", r.lng_e7, ")"));
    }
    if (attributes != nullptr && binary_header_.version == kUsersVersionWithAttributes) {
      ASSIGN_OR_RETURN(*attributes,
                       ReadUsersBinaryAttributes(*file_, binary_header_, first, out.size()));
      RETURN_IF_ERROR(file_->CheckIntact());
    }
    if (stats != nullptr) stats->rows = out.size();
    return out;
  }
  std::string own = absl::StrCat(text.substr(0, header_end_),
                                 header_end_ > 0 && text[header_end_ - 1] == '\n' ? "" : "\n",
                                 text.substr(begin_, end_ - begin_));
  RETURN_IF_ERROR(file_->CheckIntact());
  ReleasePages(*file_, begin_, end_);
  UsersCsvStats local;
  absl::StatusOr<std::vector<UserRecord>> rows =
      ParseUsersCsv(own, path_, options, &local, attributes);
  if (!rows.ok()) {
    return absl::Status(rows.status().code(), ShiftLine(rows.status().message(), path_, first_line));
  }
  if (local.first_bad_line >= 2) local.first_bad_line = first_line + local.first_bad_line - 2;
  if (stats != nullptr) *stats = std::move(local);
  return rows;
}

absl::Status UsersShare::VerifyChecksum() const {
  if (!binary_) return absl::OkStatus();
  file_->AdviseSequential();
  XXH3_state_t* state = XXH3_createState();
  XXH3_64bits_reset(state);
  constexpr uint64_t kBlock = uint64_t{64} << 20;
  for (uint64_t at = kUsersHeaderSize; at < binary_header_.records_end; at += kBlock) {
    const uint64_t end = std::min<uint64_t>(binary_header_.records_end, at + kBlock);
    XXH3_64bits_update(state, file_->data() + at, end - at);
    ReleasePages(*file_, at, end);
  }
  const uint64_t sum = XXH3_64bits_digest(state);
  XXH3_freeState(state);
  RETURN_IF_ERROR(file_->CheckIntact());
  if (sum != binary_header_.checksum) {
    return absl::DataLossError(absl::StrFormat(
        "%s: records checksum %016x does not match the header's %016x", path_, sum,
        binary_header_.checksum));
  }
  if (binary_header_.version == kUsersVersionWithAttributes) {
    const absl::Status attrs = VerifyUsersBinaryAttributes(*file_, binary_header_);
    ReleasePages(*file_, binary_header_.records_end, file_->size());
    RETURN_IF_ERROR(file_->CheckIntact());
    RETURN_IF_ERROR(attrs);
  }
  return absl::OkStatus();
}

}  // namespace fanout
