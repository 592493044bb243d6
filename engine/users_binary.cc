// Copyright 2026 The fan-out engine authors.

#include "engine/users_binary.h"

#include <fcntl.h>
#include <unistd.h>
#include <xxhash.h>

#include <cerrno>
#include <cstring>

#include "absl/numeric/int128.h"
#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
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
  if (h.version != kUsersVersion) {
    return absl::DataLossError(absl::StrCat(path, ": users format version ", h.version,
                                            " is not supported (this build reads ",
                                            kUsersVersion, ")"));
  }
  if (h.record_size != sizeof(UserRecord)) {
    return absl::DataLossError(absl::StrCat(path, ": record size ", h.record_size,
                                            ", expected ", sizeof(UserRecord)));
  }
  // In 128 bits: a hostile count times 16 overflows 64.
  const absl::uint128 expected =
      absl::uint128(kUsersHeaderSize) + absl::uint128(h.count) * sizeof(UserRecord);
  if (expected != absl::uint128(file.size())) {
    return absl::DataLossError(absl::StrCat(path, ": header says ", h.count, " records (",
                                            absl::StrFormat("%d", expected), " bytes) but the file has ",
                                            file.size(), " bytes (truncated?)"));
  }
  UsersBinaryHeader out;
  out.count = h.count;
  out.checksum = h.checksum;
  return out;
}

bool IsBinaryUsersPath(const std::string& path) { return absl::EndsWith(path, ".bin"); }

absl::StatusOr<std::unique_ptr<UsersBinaryFile>> UsersBinaryFile::Open(const std::string& path,
                                                           bool verify_checksum) {
  ASSIGN_OR_RETURN(std::unique_ptr<MappedFile> file, MappedFile::Open(path));
  absl::StatusOr<absl::Span<const UserRecord>> records = CheckFile(*file, verify_checksum);
  // A file that shrank while it was read explains any other error.
  RETURN_IF_ERROR(file->CheckIntact());
  if (!records.ok()) return records.status();
  return std::unique_ptr<UsersBinaryFile>(new UsersBinaryFile(std::move(file), *records));
}

absl::Status UsersBinaryFile::CheckIntact() const { return file_->CheckIntact(); }

struct UsersBinaryWriter::HashState {
  XXH3_state_t* state = XXH3_createState();
  ~HashState() { XXH3_freeState(state); }
};

UsersBinaryWriter::UsersBinaryWriter(std::string path, std::string tmp, int fd)
    : path_(std::move(path)), tmp_(std::move(tmp)), fd_(fd), hash_(new HashState) {
  XXH3_64bits_reset(hash_->state);
}

UsersBinaryWriter::~UsersBinaryWriter() {
  if (fd_ >= 0) {
    ::close(fd_);
    ::unlink(tmp_.c_str());
  }
}

absl::StatusOr<std::unique_ptr<UsersBinaryWriter>> UsersBinaryWriter::Create(
    const std::string& path) {
  RETURN_IF_ERROR(CheckOutputFile(path));
  RemoveStaleTempFiles(path);
  std::string tmp = TempPathFor(path);
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return ErrnoError("cannot create", tmp);
  auto writer = std::unique_ptr<UsersBinaryWriter>(new UsersBinaryWriter(path, tmp, fd));
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
  return absl::OkStatus();
}

absl::Status UsersBinaryWriter::Finish() {
  if (fd_ < 0) return absl::FailedPreconditionError("writer already finished");
  Header h;
  std::memcpy(h.magic, kUsersMagic, sizeof(h.magic));
  h.version = kUsersVersion;
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
