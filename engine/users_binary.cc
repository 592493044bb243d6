// Copyright 2026 The fan-out engine authors.

#include "engine/users_binary.h"

#include <fcntl.h>
#include <unistd.h>
#include <xxhash.h>

#include <cerrno>
#include <cstring>

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

}  // namespace

bool IsBinaryUsersPath(const std::string& path) { return absl::EndsWith(path, ".bin"); }

absl::StatusOr<std::unique_ptr<UsersFile>> UsersFile::Open(const std::string& path,
                                                           bool verify_checksum) {
  ASSIGN_OR_RETURN(std::unique_ptr<MappedFile> file, MappedFile::Open(path));
  if (file->size() < kUsersHeaderSize) {
    return absl::DataLossError(absl::StrCat(path, ": ", file->size(),
                                            " bytes is too short for a users file header"));
  }
  Header h;
  std::memcpy(&h, file->data(), sizeof(h));
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
  uint64_t expected = kUsersHeaderSize + h.count * sizeof(UserRecord);
  if (h.count > (file->size() / sizeof(UserRecord)) || expected != file->size()) {
    return absl::DataLossError(absl::StrCat(path, ": header says ", h.count, " records (",
                                            expected, " bytes) but the file has ",
                                            file->size(), " bytes (truncated?)"));
  }
  const char* body = file->data() + kUsersHeaderSize;
  if (verify_checksum) {
    file->AdviseSequential();
    uint64_t sum = XXH3_64bits(body, h.count * sizeof(UserRecord));
    if (sum != h.checksum) {
      return absl::DataLossError(absl::StrCat(path, ": record checksum mismatch (file damaged)"));
    }
  }
  absl::Span<const UserRecord> records(reinterpret_cast<const UserRecord*>(body), h.count);
  return std::unique_ptr<UsersFile>(new UsersFile(std::move(file), records));
}

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
  if (::rename(tmp_.c_str(), path_.c_str()) != 0) {
    absl::Status status = ErrnoError("cannot rename to", path_);
    ::unlink(tmp_.c_str());
    return status;
  }
  return absl::OkStatus();
}

}  // namespace fanout
