// Copyright 2026 The fan-out engine authors.

#include "base/mapped_file.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <mutex>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace fanout {
namespace {

absl::Status ErrnoStatus(int err, absl::string_view what, const std::string& path) {
  std::string message = absl::StrCat(path, ": ", what, ": ", std::strerror(err));
  if (err == ENOENT || err == ENOTDIR) return absl::NotFoundError(message);
  if (err == EACCES || err == EISDIR || err == ENXIO) return absl::InvalidArgumentError(message);
  return absl::InternalError(message);
}

const char* FileKind(mode_t mode) {
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISSOCK(mode)) return "a socket";
  if (S_ISDIR(mode)) return "a directory";
  return "not a plain file";
}

absl::Status NotRegular(const std::string& path, mode_t mode) {
  return absl::InvalidArgumentError(
      absl::StrCat(path, ": is not a regular file (", FileKind(mode), ")"));
}

// An empty file cannot be mapped; every empty MappedFile points here.
constexpr char kEmpty[1] = {0};

// The registry of live mappings, read by the SIGBUS handler. The handler
// touches only these lock-free atomics; Register/Unregister and
// CheckAllIntact serialise on `g_registry_mu`.
struct Slot {
  std::atomic<bool> live{false};
  std::atomic<uintptr_t> begin{0};
  std::atomic<size_t> length{0};
  std::atomic<bool> shrank{false};  // a read past the file's end was caught
  const MappedFile* owner = nullptr;  // guarded by g_registry_mu
};
static_assert(std::atomic<uintptr_t>::is_always_lock_free, "signal-safe registry");
static_assert(std::atomic<size_t>::is_always_lock_free, "signal-safe registry");
static_assert(std::atomic<bool>::is_always_lock_free, "signal-safe registry");

Slot g_slots[MappedFile::kMaxMappedFiles];
std::mutex g_registry_mu;
// The CheckIntact error of a file unmapped after it shrank, until reported.
absl::Status* g_unmapped_shrink = nullptr;  // guarded by g_registry_mu
struct sigaction g_previous_sigbus;
uintptr_t g_page_size = 4096;

void ChainSigbus(int sig, siginfo_t* info, void* context) {
  const struct sigaction& prev = g_previous_sigbus;
  if ((prev.sa_flags & SA_SIGINFO) != 0 && prev.sa_sigaction != nullptr) {
    prev.sa_sigaction(sig, info, context);
    return;
  }
  if (prev.sa_handler != SIG_DFL && prev.sa_handler != SIG_IGN && prev.sa_handler != nullptr) {
    prev.sa_handler(sig);
    return;
  }
  // The default action (a SIGBUS cannot usefully be ignored): restore it
  // and re-raise; the signal is blocked until this handler returns.
  struct sigaction dfl;
  std::memset(&dfl, 0, sizeof(dfl));
  dfl.sa_handler = SIG_DFL;
  sigemptyset(&dfl.sa_mask);
  ::sigaction(SIGBUS, &dfl, nullptr);
  ::raise(SIGBUS);
}

// A read past the end of a mapped file that shrank: map zero pages over the
// rest of that mapping, note it, and let the read resume (it sees zeros).
// Only async-signal-safe operations: atomics, mmap, sigaction, raise.
void OnSigbus(int sig, siginfo_t* info, void* context) {
  const int saved_errno = errno;
  if (info != nullptr && info->si_code == BUS_ADRERR) {
    const uintptr_t addr = reinterpret_cast<uintptr_t>(info->si_addr);
    for (Slot& slot : g_slots) {
      if (!slot.live.load(std::memory_order_acquire)) continue;
      const uintptr_t begin = slot.begin.load(std::memory_order_relaxed);
      const uintptr_t end = begin + slot.length.load(std::memory_order_relaxed);
      if (addr < begin || addr >= end) continue;
      const uintptr_t page = addr & ~(g_page_size - 1);
      void* p = ::mmap(reinterpret_cast<void*>(page), end - page, PROT_READ,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
      if (p != MAP_FAILED) {
        slot.shrank.store(true, std::memory_order_release);
        errno = saved_errno;
        return;
      }
      break;
    }
  }
  errno = saved_errno;
  ChainSigbus(sig, info, context);
}

void InstallSigbusHandler() {
  static std::once_flag once;
  std::call_once(once, [] {
    long page = ::sysconf(_SC_PAGESIZE);
    if (page > 0) g_page_size = static_cast<uintptr_t>(page);
    struct sigaction sa;
    std::memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = &OnSigbus;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigemptyset(&sa.sa_mask);
    ::sigaction(SIGBUS, &sa, &g_previous_sigbus);
  });
}

// Stores the slot index through `slot_out` under the registry lock, before
// the owner is published: CheckAllIntact on another thread reads the owner's
// slot as soon as it can see the owner.
void Register(const MappedFile* owner, const char* data, size_t size, int* slot_out) {
  std::lock_guard<std::mutex> lock(g_registry_mu);
  *slot_out = -1;
  for (int i = 0; i < MappedFile::kMaxMappedFiles; ++i) {
    Slot& slot = g_slots[i];
    if (slot.live.load(std::memory_order_relaxed)) continue;
    slot.begin.store(reinterpret_cast<uintptr_t>(data), std::memory_order_relaxed);
    slot.length.store(size, std::memory_order_relaxed);
    slot.shrank.store(false, std::memory_order_relaxed);
    *slot_out = i;
    slot.owner = owner;
    slot.live.store(true, std::memory_order_release);
    return;
  }
}

void Unregister(int i, absl::Status intact) {
  std::lock_guard<std::mutex> lock(g_registry_mu);
  g_slots[i].live.store(false, std::memory_order_release);
  g_slots[i].owner = nullptr;
  if (!intact.ok() && g_unmapped_shrink == nullptr) {
    g_unmapped_shrink = new absl::Status(std::move(intact));
  }
}

}  // namespace

absl::StatusOr<std::unique_ptr<MappedFile>> MappedFile::Open(const std::string& path) {
  // Look before opening: opening a FIFO blocks until a writer comes, and
  // opening a device may act on it.
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return ErrnoStatus(errno, "cannot open", path);
  if (!S_ISREG(st.st_mode)) return NotRegular(path, st.st_mode);
  // O_NONBLOCK: should the path become a FIFO meanwhile, open still returns.
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return ErrnoStatus(errno, "cannot open", path);
  if (::fstat(fd, &st) != 0) {
    int err = errno;
    ::close(fd);
    return ErrnoStatus(err, "cannot stat", path);
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    return NotRegular(path, st.st_mode);
  }
  size_t size = static_cast<size_t>(st.st_size);
  if (size == 0) {
    ::close(fd);
    return std::unique_ptr<MappedFile>(new MappedFile(path, -1, kEmpty, 0, -1));
  }
  InstallSigbusHandler();
  void* p = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
  if (p == MAP_FAILED) {
    int err = errno;
    ::close(fd);
    return ErrnoStatus(err, "cannot map", path);
  }
  const char* data = static_cast<const char*>(p);
  std::unique_ptr<MappedFile> file(new MappedFile(path, fd, data, size, -1));
  Register(file.get(), data, size, &file->slot_);
  if (file->slot_ < 0) {
    return absl::ResourceExhaustedError(absl::StrCat(
        path, ": cannot map it: ", kMaxMappedFiles, " files are mapped already"));
  }
  return file;
}

MappedFile::~MappedFile() {
  if (slot_ >= 0) Unregister(slot_, CheckIntact());
  if (size_ > 0) ::munmap(const_cast<char*>(data_), size_);
  if (fd_ >= 0) ::close(fd_);
}

void MappedFile::AdviseSequential() const {
  if (size_ > 0) ::madvise(const_cast<char*>(data_), size_, MADV_SEQUENTIAL);
}

absl::Status MappedFile::CheckIntact() const {
  if (size_ == 0 || slot_ < 0) return absl::OkStatus();
  const bool caught = g_slots[slot_].shrank.load(std::memory_order_acquire);
  struct stat st;
  const bool have_size = ::fstat(fd_, &st) == 0;
  if (!caught && (!have_size || static_cast<uint64_t>(st.st_size) >= size_)) {
    return absl::OkStatus();
  }
  return absl::AbortedError(absl::StrCat(
      path_, ": the file shrank below its size of ", size_, " bytes while it was being read",
      have_size ? absl::StrCat(" (it now has ", st.st_size, " bytes)") : std::string(),
      "; another process truncated or rewrote it in place, so what was read cannot be "
      "trusted"));
}

absl::Status MappedFile::CheckAllIntact() {
  std::lock_guard<std::mutex> lock(g_registry_mu);
  for (const Slot& slot : g_slots) {
    if (slot.owner == nullptr) continue;
    absl::Status status = slot.owner->CheckIntact();
    if (!status.ok()) return status;
  }
  if (g_unmapped_shrink != nullptr) {
    absl::Status status = std::move(*g_unmapped_shrink);
    delete g_unmapped_shrink;
    g_unmapped_shrink = nullptr;
    return status;
  }
  return absl::OkStatus();
}

}  // namespace fanout
