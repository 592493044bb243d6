// Copyright 2026 The fan-out engine authors.

#ifndef FANOUT_BASE_MAPPED_FILE_H_
#define FANOUT_BASE_MAPPED_FILE_H_

#include <cstddef>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace fanout {

// A read-only memory mapping of a whole file. The mapping lives as long as
// the object; data() is stable and never null (an empty file maps to an
// empty view).
//
// Thread-safety: immutable after Open(); safe to read from many threads.
//
// Typical usage:
//   ASSIGN_OR_RETURN(std::unique_ptr<MappedFile> file, MappedFile::Open(path));
//   absl::string_view bytes = file->view();
class MappedFile {
 public:
  // Maps `path`. kNotFound when it does not exist, kInvalidArgument when it
  // is not a regular file, kInternal for other system errors; the message
  // names the path and the system error.
  static absl::StatusOr<std::unique_ptr<MappedFile>> Open(const std::string& path);

  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  const char* data() const { return data_; }
  size_t size() const { return size_; }
  absl::string_view view() const { return absl::string_view(data_, size_); }
  const std::string& path() const { return path_; }

  // Asks the kernel to read the mapping ahead sequentially (madvise).
  void AdviseSequential() const;

 private:
  MappedFile(std::string path, const char* data, size_t size)
      : path_(std::move(path)), data_(data), size_(size) {}

  std::string path_;
  const char* data_;
  size_t size_;
};

}  // namespace fanout

#endif  // FANOUT_BASE_MAPPED_FILE_H_
