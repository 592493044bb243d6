// Copyright 2026 The fan-out engine authors.

#include "engine/users_binary.h"

#include <fcntl.h>
#include <unistd.h>
#include <xxhash.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/numeric/int128.h"
#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "base/atomic_file.h"
#include "base/file_io.h"
#include "base/status_macros.h"

namespace fanout {
namespace {

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "the users format is little-endian");

struct Header {
  char magic[8];
  uint32_t version;
  uint32_t record_size;
  uint64_t count;
  uint64_t checksum;
};
static_assert(sizeof(Header) == kUsersHeaderSize, "header layout");

// The fixed part of version 2's attribute section.
struct AttributeHeader {
  uint32_t kinds;
  uint32_t language_count;
  uint64_t dictionary_bytes;
  uint64_t checksum;  // of everything after this header
};
static_assert(sizeof(AttributeHeader) == 24, "attribute header layout");
constexpr uint32_t kKindLang = 1, kKindUpdatedAt = 2;

uint64_t AlignUp4(uint64_t x) { return (x + 3) / 4 * 4; }

// Offsets of a version 2 attribute section at `a` for n records.
struct AttributeLayout {
  uint64_t dictionary = 0, lang = 0, updated_at = 0, end = 0;
};
AttributeLayout LayOutAttributes(uint64_t a, uint64_t n, uint32_t kinds, uint64_t dict_bytes) {
  AttributeLayout l;
  l.dictionary = a + sizeof(AttributeHeader);
  uint64_t at = AlignUp4(l.dictionary + dict_bytes);
  l.lang = at;
  if (kinds & kKindLang) at = AlignUp4(at + n);
  l.updated_at = at;
  if (kinds & kKindUpdatedAt) at += 4 * n;
  l.end = (kinds & kKindUpdatedAt) ? at : (kinds & kKindLang) ? l.lang + n : l.dictionary + dict_bytes;
  return l;
}

absl::Status DamagedAttributes(const std::string& path, absl::string_view what) {
  return absl::DataLossError(absl::StrCat(path, ": attribute section: ", what));
}

// A version 2 file's attribute section, its fixed header and size checked.
struct AttributeSection {
  AttributeHeader header;
  AttributeLayout layout;
  UserAttributes::Kinds kinds;
};
absl::StatusOr<AttributeSection> LocateAttributes(const MappedFile& file,
                                                  const UsersBinaryHeader& h) {
  AttributeSection s;
  std::memcpy(&s.header, file.data() + h.records_end, sizeof(s.header));
  const AttributeHeader& ah = s.header;
  if ((ah.kinds & ~(kKindLang | kKindUpdatedAt)) != 0 || ah.kinds == 0) {
    return DamagedAttributes(file.path(), absl::StrCat("unknown column kinds ", ah.kinds));
  }
  if (ah.language_count > UserAttributes::kMaxLanguages ||
      ah.dictionary_bytes > UserAttributes::kMaxDictionaryBytes) {
    return DamagedAttributes(file.path(),
                             absl::StrCat(ah.language_count, " languages in ", ah.dictionary_bytes,
                                          " bytes: more than the format allows"));
  }
  s.layout = LayOutAttributes(h.records_end, h.count, ah.kinds, ah.dictionary_bytes);
  if (s.layout.end != file.size()) {
    return DamagedAttributes(file.path(),
                             absl::StrCat("the columns end at byte ", s.layout.end,
                                          " but the file has ", file.size(),
                                          " bytes (truncated?)"));
  }
  s.kinds.lang = (ah.kinds & kKindLang) != 0;
  s.kinds.updated_at = (ah.kinds & kKindUpdatedAt) != 0;
  return s;
}

// The section's checksum covers everything after its fixed header.
absl::Status VerifyAttributeChecksum(const MappedFile& file, const UsersBinaryHeader& h,
                                     const AttributeHeader& ah) {
  const uint64_t begin = h.records_end + sizeof(AttributeHeader);
  if (XXH3_64bits(file.data() + begin, file.size() - begin) != ah.checksum) {
    return DamagedAttributes(file.path(), "checksum mismatch (file damaged)");
  }
  return absl::OkStatus();
}

// Borrows records [first, first + n) of the section's columns, checked
// (UserAttributes::BorrowChecked), keeping `owner` alive.
absl::StatusOr<std::shared_ptr<const UserAttributes>> BorrowAttributes(
    const MappedFile& file, const AttributeSection& s, uint64_t first, uint64_t n,
    std::shared_ptr<const void> owner) {
  const char* data = file.data();
  absl::StatusOr<std::shared_ptr<const UserAttributes>> attributes =
      UserAttributes::BorrowChecked(
          s.kinds, absl::string_view(data + s.layout.dictionary, s.header.dictionary_bytes),
          s.header.language_count, data + s.layout.lang + first,
          data + s.layout.updated_at + 4 * first, n, std::move(owner));
  if (!attributes.ok()) return DamagedAttributes(file.path(), attributes.status().message());
  return attributes;
}

// Checks and borrows the whole attribute section of a version 2 file.
absl::StatusOr<std::shared_ptr<const UserAttributes>> CheckAttributes(
    std::shared_ptr<MappedFile> file, const UsersBinaryHeader& h, bool verify_checksum) {
  ASSIGN_OR_RETURN(const AttributeSection s, LocateAttributes(*file, h));
  if (verify_checksum) RETURN_IF_ERROR(VerifyAttributeChecksum(*file, h, s.header));
  const MappedFile& mapped = *file;
  return BorrowAttributes(mapped, s, 0, h.count, std::move(file));
}

// Index of the first record of `records` that is out of range, or
// records.size().
size_t FirstInvalid(absl::Span<const UserRecord> records) {
  for (size_t i = 0; i < records.size(); ++i) {
    if (!records[i].IsValid()) return i;
  }
  return records.size();
}

absl::Status InvalidRecord(const std::string& path, absl::Span<const UserRecord> records,
                           size_t i) {
  const UserRecord& r = records[i];
  return absl::InvalidArgumentError(absl::StrCat(
      path, ": record ", i, " (at byte ", kUsersHeaderSize + uint64_t{i} * sizeof(UserRecord),
      ", user ", r.user_id, "): location (", r.lat(), ", ", r.lng(),
      ") is out of range (lat_e7 ", r.lat_e7, ", lng_e7 ", r.lng_e7, ")"));
}

// Checks the header, the checksum (when asked) and every record's range;
// returns the records.
absl::StatusOr<absl::Span<const UserRecord>> CheckFile(const MappedFile& file,
                                                       bool verify_checksum) {
  const std::string& path = file.path();
  ASSIGN_OR_RETURN(const UsersBinaryHeader h, ReadUsersBinaryHeader(file));
  const char* body = file.data() + kUsersHeaderSize;
  absl::Span<const UserRecord> records(reinterpret_cast<const UserRecord*>(body), h.count);
  size_t first_invalid = records.size();
  if (verify_checksum) {
    // One pass: each block is range-checked while it is still in cache.
    constexpr size_t kBlock = 1 << 16;  // records
    file.AdviseSequential();
    XXH3_state_t* state = XXH3_createState();
    XXH3_64bits_reset(state);
    for (size_t b = 0; b < records.size(); b += kBlock) {
      absl::Span<const UserRecord> block = records.subspan(b, kBlock);
      XXH3_64bits_update(state, block.data(), block.size() * sizeof(UserRecord));
      if (first_invalid == records.size()) {
        size_t i = FirstInvalid(block);
        if (i < block.size()) first_invalid = b + i;
      }
    }
    const uint64_t sum = XXH3_64bits_digest(state);
    XXH3_freeState(state);
    if (sum != h.checksum) {
      return absl::DataLossError(absl::StrCat(path, ": record checksum mismatch (file damaged)"));
    }
  } else {
    first_invalid = FirstInvalid(records);
  }
  if (first_invalid < records.size()) return InvalidRecord(path, records, first_invalid);
  return records;
}

}  // namespace

absl::StatusOr<UsersBinaryHeader> ReadUsersBinaryHeader(const MappedFile& file) {
  const std::string& path = file.path();
  if (file.size() < kUsersHeaderSize) {
    return absl::DataLossError(absl::StrCat(path, ": ", file.size(),
                                            " bytes is too short for a users file header"));
  }
  Header h;
  std::memcpy(&h, file.data(), sizeof(h));
  if (std::memcmp(h.magic, kUsersMagic, sizeof(h.magic)) != 0) {
    return absl::DataLossError(absl::StrCat(path, ": not a binary users file (bad magic)"));
  }
  if (h.version != kUsersVersion && h.version != kUsersVersionWithAttributes) {
    return absl::DataLossError(absl::StrCat(path, ": users format version ", h.version,
                                            " is not supported (this build reads ",
                                            kUsersVersion, " and ", kUsersVersionWithAttributes,
                                            ")"));
  }
  if (h.record_size != sizeof(UserRecord)) {
    return absl::DataLossError(absl::StrCat(path, ": record size ", h.record_size,
                                            ", expected ", sizeof(UserRecord)));
  }
  // In 128 bits: a hostile count times 16 overflows 64.
  const absl::uint128 expected =
      absl::uint128(kUsersHeaderSize) + absl::uint128(h.count) * sizeof(UserRecord);
  const bool v2 = h.version == kUsersVersionWithAttributes;
  if (v2 ? expected + sizeof(AttributeHeader) > absl::uint128(file.size())
         : expected != absl::uint128(file.size())) {
    return absl::DataLossError(absl::StrCat(path, ": header says ", h.count, " records (",
                                            absl::StrFormat("%d", expected), " bytes) but the file has ",
                                            file.size(), " bytes (truncated?)"));
  }
  UsersBinaryHeader out;
  out.version = h.version;
  out.count = h.count;
  out.checksum = h.checksum;
  out.records_end = static_cast<uint64_t>(expected);
  return out;
}

bool IsBinaryUsersPath(const std::string& path) { return absl::EndsWith(path, ".bin"); }

absl::StatusOr<std::shared_ptr<const UserAttributes>> ReadUsersBinaryAttributes(
    const MappedFile& file, const UsersBinaryHeader& header, uint64_t first, uint64_t n) {
  if (header.version != kUsersVersionWithAttributes) {
    return absl::InvalidArgumentError(absl::StrCat(file.path(), ": users format version ",
                                                   header.version, " has no attributes"));
  }
  if (first > header.count || n > header.count - first) {
    return absl::OutOfRangeError(absl::StrCat(file.path(), ": records [", first, ", ", first, " + ",
                                              n, ") are not all among its ", header.count));
  }
  ASSIGN_OR_RETURN(const AttributeSection s, LocateAttributes(file, header));
  ASSIGN_OR_RETURN(std::shared_ptr<const UserAttributes> borrowed,
                   BorrowAttributes(file, s, first, n, nullptr));
  std::vector<uint8_t> lang(borrowed->lang().begin(), borrowed->lang().end());
  std::vector<uint32_t> updated_at(borrowed->updated_at().begin(), borrowed->updated_at().end());
  return UserAttributes::Own(s.kinds, borrowed->languages(), std::move(lang),
                             std::move(updated_at), n);
}

absl::Status VerifyUsersBinaryAttributes(const MappedFile& file, const UsersBinaryHeader& header) {
  if (header.version != kUsersVersionWithAttributes) return absl::OkStatus();
  ASSIGN_OR_RETURN(const AttributeSection s, LocateAttributes(file, header));
  return VerifyAttributeChecksum(file, header, s.header);
}

absl::StatusOr<std::unique_ptr<UsersBinaryFile>> UsersBinaryFile::Open(const std::string& path,
                                                           bool verify_checksum) {
  ASSIGN_OR_RETURN(std::unique_ptr<MappedFile> mapped, MappedFile::Open(path));
  std::shared_ptr<MappedFile> file(std::move(mapped));
  absl::StatusOr<absl::Span<const UserRecord>> records = CheckFile(*file, verify_checksum);
  absl::StatusOr<std::shared_ptr<const UserAttributes>> attributes(nullptr);  // version 1: none
  if (records.ok()) {
    // The header was checked by CheckFile.
    const UsersBinaryHeader h = *ReadUsersBinaryHeader(*file);
    if (h.version == kUsersVersionWithAttributes) {
      attributes = CheckAttributes(file, h, verify_checksum);
    }
  }
  // A file that shrank while it was read explains any other error.
  RETURN_IF_ERROR(file->CheckIntact());
  if (!records.ok()) return records.status();
  if (!attributes.ok()) return attributes.status();
  return std::unique_ptr<UsersBinaryFile>(
      new UsersBinaryFile(std::move(file), *records, *std::move(attributes)));
}

absl::Status UsersBinaryFile::CheckIntact() const { return file_->CheckIntact(); }

struct UsersBinaryWriter::HashState {
  XXH3_state_t* state = XXH3_createState();
  ~HashState() { XXH3_freeState(state); }
};

UsersBinaryWriter::UsersBinaryWriter(std::string path, std::string tmp, int fd,
                                     UserAttributes::Kinds kinds)
    : path_(std::move(path)), tmp_(std::move(tmp)), fd_(fd), kinds_(kinds), hash_(new HashState) {
  XXH3_64bits_reset(hash_->state);
}

UsersBinaryWriter::~UsersBinaryWriter() {
  if (fd_ >= 0) {
    ::close(fd_);
    ::unlink(tmp_.c_str());
  }
}

absl::StatusOr<std::unique_ptr<UsersBinaryWriter>> UsersBinaryWriter::Create(
    const std::string& path, UserAttributes::Kinds kinds) {
  RETURN_IF_ERROR(CheckOutputFile(path));
  RemoveStaleTempFiles(path);
  std::string tmp = TempPathFor(path);
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return ErrnoError("cannot create", tmp);
  auto writer = std::unique_ptr<UsersBinaryWriter>(new UsersBinaryWriter(path, tmp, fd, kinds));
  Header blank{};  // completed by Finish()
  if (::pwrite(fd, &blank, sizeof(blank), 0) != sizeof(blank)) return ErrnoError("cannot write", tmp);
  if (::lseek(fd, sizeof(blank), SEEK_SET) < 0) return ErrnoError("cannot seek", tmp);
  return writer;
}

absl::Status UsersBinaryWriter::Append(absl::Span<const UserRecord> records) {
  if (fd_ < 0) return absl::FailedPreconditionError("writer already finished");
  absl::string_view bytes(reinterpret_cast<const char*>(records.data()),
                          records.size() * sizeof(UserRecord));
  XXH3_64bits_update(hash_->state, bytes.data(), bytes.size());
  RETURN_IF_ERROR(WriteFully(fd_, bytes, tmp_));
  count_ += records.size();
  if (kinds_.lang) lang_.resize(count_, 0);
  if (kinds_.updated_at) updated_at_.resize(count_, 0);
  return absl::OkStatus();
}

absl::Status UsersBinaryWriter::Append(absl::Span<const UserRecord> records,
                                       const UserAttributes& attributes) {
  if (attributes.size() != records.size()) {
    return absl::InvalidArgumentError(absl::StrCat(records.size(), " records but attributes for ",
                                                   attributes.size()));
  }
  std::vector<uint8_t> to_file(attributes.languages().size() + 1, 0);
  if (kinds_.lang) {
    for (size_t k = 0; k < attributes.languages().size(); ++k) {
      ASSIGN_OR_RETURN(to_file[k + 1], dictionary_.CodeOf(attributes.languages()[k]));
    }
  }
  const uint64_t first = count_;
  RETURN_IF_ERROR(Append(records));
  if (kinds_.lang && attributes.has_lang()) {
    for (size_t i = 0; i < records.size(); ++i) lang_[first + i] = to_file[attributes.lang()[i]];
  }
  if (kinds_.updated_at && attributes.has_updated_at()) {
    std::copy(attributes.updated_at().begin(), attributes.updated_at().end(),
              updated_at_.begin() + first);
  }
  return absl::OkStatus();
}

absl::Status UsersBinaryWriter::Finish() {
  if (fd_ < 0) return absl::FailedPreconditionError("writer already finished");
  if (kinds_.any()) {
    // Version 2: the attribute section after the records.
    const std::string dict = absl::StrJoin(dictionary_.tags(), "\n");
    const uint64_t a = kUsersHeaderSize + count_ * sizeof(UserRecord);
    const uint32_t kinds = (kinds_.lang ? kKindLang : 0) | (kinds_.updated_at ? kKindUpdatedAt : 0);
    const AttributeLayout l = LayOutAttributes(a, count_, kinds, dict.size());
    std::string body(l.end - l.dictionary, '\0');
    std::memcpy(&body[0], dict.data(), dict.size());
    if (kinds_.lang) std::memcpy(&body[l.lang - l.dictionary], lang_.data(), lang_.size());
    if (kinds_.updated_at) {
      std::memcpy(&body[l.updated_at - l.dictionary], updated_at_.data(), updated_at_.size() * 4);
    }
    AttributeHeader ah{kinds, static_cast<uint32_t>(dictionary_.tags().size()), dict.size(),
                       XXH3_64bits(body.data(), body.size())};
    RETURN_IF_ERROR(WriteFully(fd_, absl::string_view(reinterpret_cast<const char*>(&ah), sizeof(ah)), tmp_));
    RETURN_IF_ERROR(WriteFully(fd_, body, tmp_));
  }
  Header h;
  std::memcpy(h.magic, kUsersMagic, sizeof(h.magic));
  h.version = kinds_.any() ? kUsersVersionWithAttributes : kUsersVersion;
  h.record_size = sizeof(UserRecord);
  h.count = count_;
  h.checksum = XXH3_64bits_digest(hash_->state);
  if (::pwrite(fd_, &h, sizeof(h), 0) != sizeof(h)) return ErrnoError("cannot write", tmp_);
  if (::fsync(fd_) != 0) return ErrnoError("cannot fsync", tmp_);
  if (::close(fd_) != 0) {
    fd_ = -1;
    ::unlink(tmp_.c_str());
    return ErrnoError("cannot close", tmp_);
  }
  fd_ = -1;
  // The target may have changed while the records were written, and the
  // records may derive from a mapped input that shrank meanwhile.
  absl::Status status = CheckOutputFile(path_);
  if (status.ok()) status = MappedFile::CheckAllIntact();
  if (!status.ok()) {
    ::unlink(tmp_.c_str());
    return status;
  }
  if (::rename(tmp_.c_str(), path_.c_str()) != 0) {
    status = ErrnoError("cannot rename to", path_);
    ::unlink(tmp_.c_str());
    return status;
  }
  return absl::OkStatus();
}

}  // namespace fanout
