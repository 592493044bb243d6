// Copyright 2026 The fan-out engine authors.

#ifndef FANOUT_BASE_MAPPED_FILE_H_
#define FANOUT_BASE_MAPPED_FILE_H_

#include <cstddef>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace fanout {

// A read-only memory mapping of a whole regular file. The mapping lives as
// long as the object; data() is stable and never null (an empty file maps
// to an empty view).
//
// Only regular files are mapped: Open() never blocks (a FIFO, a device, a
// socket or a folder is refused at once, kInvalidArgument naming the path
// and what it is).
//
// A file that shrinks while mapped (another process truncates it or
// rewrites it in place) would normally kill the process with SIGBUS on the
// first read past the new end. What is promised instead:
//   - reading the mapping never crashes: pages past the new end read as
//     zeros (a process-wide SIGBUS handler, installed by the first Open of a
//     non-empty file, maps zero pages over them; faults outside mapped files
//     go to the previous handler or the default action);
//   - CheckIntact() then returns kAborted naming the file, its mapped size
//     and its size now. Every reader must call it after each phase that reads
//     the mapping and before it trusts what it read (or writes anything
//     derived from it); CheckAllIntact() does so for every live mapping.
// Not detected: content rewritten in place without a shrink (this project's
// writers never do that; they write a new file and rename it over the old,
// which leaves an existing mapping untouched). A shrink that ends inside the
// last page is seen by CheckIntact() through the file's size.
//
// Thread-safety: immutable after Open(); safe to read and check from many
// threads.
//
// Typical usage:
//   ASSIGN_OR_RETURN(std::unique_ptr<MappedFile> file, MappedFile::Open(path));
//   Parse(file->view());
//   RETURN_IF_ERROR(file->CheckIntact());
class MappedFile {
 public:
  // Maps `path`. kNotFound when it does not exist, kInvalidArgument when it
  // is not a regular file or cannot be read, kResourceExhausted when too
  // many files are mapped at once (kMaxMappedFiles), kInternal for other
  // system errors; the message names the path and the system error.
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

  // OK while the file still holds all the bytes that were mapped; kAborted
  // ("<path>: the file shrank from N to M bytes while it was being read
  // ...") once it is found shorter, or once a read past its end was caught.
  absl::Status CheckIntact() const;

  // CheckIntact() of every MappedFile alive in the process; the first error.
  // Also the error of a file that was found shrunk when it was unmapped
  // (its readers may have kept data derived from it): that one is reported
  // by the first CheckAllIntact after the unmapping, then forgotten, so a
  // long-lived process is not blocked for good. Output commits call this
  // (base/atomic_file.h, engine/directory_sink.h), so a program that reads
  // a shrunk file cannot commit output derived from it even if the reader
  // forgot to check.
  static absl::Status CheckAllIntact();

  // How many non-empty files may be mapped at once in one process.
  static constexpr int kMaxMappedFiles = 1024;

 private:
  MappedFile(std::string path, int fd, const char* data, size_t size, int slot)
      : path_(std::move(path)), fd_(fd), data_(data), size_(size), slot_(slot) {}

  std::string path_;
  int fd_;  // kept open to see the file's size; -1 for an empty file
  const char* data_;
  size_t size_;
  int slot_;  // in the registry of mappings; -1 for an empty file
};

}  // namespace fanout

#endif  // FANOUT_BASE_MAPPED_FILE_H_
