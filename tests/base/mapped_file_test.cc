// Copyright 2026 The fan-out engine authors.

#include "base/mapped_file.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "tests/support/test_support.h"

namespace fanout {
namespace {

using ::fanout::testing::TempDir;
using ::fanout::testing::WriteFileOrDie;

// Sum of every byte: reads the whole mapping.
uint64_t SumBytes(const MappedFile& file) {
  uint64_t sum = 0;
  const volatile char* p = file.data();
  for (size_t i = 0; i < file.size(); ++i) sum += static_cast<unsigned char>(p[i]);
  return sum;
}

TEST(MappedFileTest, MapsARegularFileAndStaysIntact) {
  TempDir dir;
  WriteFileOrDie(dir.File("f"), "hello");
  auto file = MappedFile::Open(dir.File("f"));
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_EQ((*file)->view(), "hello");
  EXPECT_TRUE((*file)->CheckIntact().ok());
  EXPECT_TRUE(MappedFile::CheckAllIntact().ok());
}

TEST(MappedFileTest, AFileReplacedByRenameLeavesTheMappingIntact) {
  TempDir dir;
  WriteFileOrDie(dir.File("f"), std::string(10000, 'a'));
  auto file = MappedFile::Open(dir.File("f"));
  ASSERT_TRUE(file.ok()) << file.status();
  WriteFileOrDie(dir.File("g"), "b");
  ASSERT_EQ(std::rename(dir.File("g").c_str(), dir.File("f").c_str()), 0);
  EXPECT_EQ(SumBytes(**file), 10000u * 'a');
  EXPECT_TRUE((*file)->CheckIntact().ok());
}

// Files opened and closed on some threads while another checks every
// mapping (as a checkpoint does while a log segment rolls): the registry
// must publish a file only once it is whole. Run under ThreadSanitizer by
// `./run tsan`, which flagged the slot index written after publication.
TEST(MappedFileTest, OpeningWhileAnotherThreadChecksAllMappings) {
  TempDir dir;
  WriteFileOrDie(dir.File("f"), std::string(5000, 'x'));
  std::atomic<bool> stop{false};
  std::thread checker([&] {
    while (!stop.load()) EXPECT_TRUE(MappedFile::CheckAllIntact().ok());
  });
  std::vector<std::thread> openers;
  for (int t = 0; t < 2; ++t) {
    openers.emplace_back([&] {
      for (int i = 0; i < 300; ++i) {
        auto file = MappedFile::Open(dir.File("f"));
        ASSERT_TRUE(file.ok()) << file.status();
        EXPECT_EQ((*file)->size(), 5000u);
      }
    });
  }
  for (std::thread& t : openers) t.join();
  stop = true;
  checker.join();
}

// Opening a FIFO for reading blocks until a writer comes. The writer thread
// here is that writer: if Open opened the FIFO, the writer gets through;
// if not (the fix), it stays blocked until the test opens the read side.
TEST(MappedFileTest, RefusesAFifoWithoutOpeningIt) {
  TempDir dir;
  const std::string fifo = dir.File("fifo");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0644), 0);
  std::atomic<bool> writer_through{false};
  std::thread writer([&] {
    int fd = ::open(fifo.c_str(), O_WRONLY);
    writer_through = true;
    if (fd >= 0) ::close(fd);
  });
  auto file = MappedFile::Open(fifo);
  const bool through_before_unblock = writer_through.load();
  int reader = ::open(fifo.c_str(), O_RDONLY | O_NONBLOCK);  // lets the writer go
  writer.join();
  if (reader >= 0) ::close(reader);
  ASSERT_FALSE(file.ok());
  EXPECT_EQ(file.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(file.status().message().find(fifo), std::string::npos) << file.status();
  EXPECT_NE(file.status().message().find("is not a regular file (a FIFO)"), std::string::npos)
      << file.status();
  EXPECT_FALSE(through_before_unblock);
}

TEST(MappedFileTest, RefusesADirectoryAndADevice) {
  TempDir dir;
  auto d = MappedFile::Open(dir.path());
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(d.status().message().find("(a directory)"), std::string::npos) << d.status();
  auto dev = MappedFile::Open("/dev/null");
  ASSERT_FALSE(dev.ok());
  EXPECT_EQ(dev.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(dev.status().message().find("(a character device)"), std::string::npos)
      << dev.status();
}

TEST(MappedFileTest, MissingFileIsNotFound) {
  TempDir dir;
  auto file = MappedFile::Open(dir.File("nope"));
  ASSERT_FALSE(file.ok());
  EXPECT_EQ(file.status().code(), absl::StatusCode::kNotFound);
}

// Without the SIGBUS handler the reads past the new end kill the process.
TEST(MappedFileTest, AFileShrunkWhileMappedReadsZerosAndIsReported) {
  TempDir dir;
  const std::string path = dir.File("f");
  const size_t size = 64 * 4096 + 123;
  WriteFileOrDie(path, std::string(size, '\x01'));
  auto file = MappedFile::Open(path);
  ASSERT_TRUE(file.ok()) << file.status();
  ASSERT_EQ(::truncate(path.c_str(), 3 * 4096 + 5), 0);
  // The bytes still in the file read as before, the rest as zeros.
  EXPECT_EQ(SumBytes(**file), 3 * 4096 + 5);
  absl::Status status = (*file)->CheckIntact();
  EXPECT_EQ(status.code(), absl::StatusCode::kAborted) << status;
  EXPECT_NE(status.message().find(path), std::string::npos) << status;
  EXPECT_NE(status.message().find(std::to_string(size) + " bytes"), std::string::npos) << status;
  EXPECT_NE(status.message().find("now has 12293 bytes"), std::string::npos) << status;
  EXPECT_EQ(MappedFile::CheckAllIntact().code(), absl::StatusCode::kAborted);
  // Reading again is still safe.
  EXPECT_EQ(SumBytes(**file), 3 * 4096 + 5);
  // Once unmapped, the shrink is reported once more, then forgotten.
  file->reset();
  status = MappedFile::CheckAllIntact();
  EXPECT_EQ(status.code(), absl::StatusCode::kAborted) << status;
  EXPECT_NE(status.message().find(path), std::string::npos) << status;
  EXPECT_TRUE(MappedFile::CheckAllIntact().ok());
}

TEST(MappedFileTest, AShrinkWithinTheLastPageIsReported) {
  TempDir dir;
  const std::string path = dir.File("f");
  WriteFileOrDie(path, std::string(10000, 'x'));
  auto file = MappedFile::Open(path);
  ASSERT_TRUE(file.ok()) << file.status();
  ASSERT_EQ(::truncate(path.c_str(), 9000), 0);  // same last page: no fault
  SumBytes(**file);
  EXPECT_EQ((*file)->CheckIntact().code(), absl::StatusCode::kAborted);
  file->reset();
  EXPECT_EQ(MappedFile::CheckAllIntact().code(), absl::StatusCode::kAborted);
}

// A SIGBUS that is not a read of a mapped file still kills the process.
TEST(MappedFileDeathTest, AFaultOutsideMappedFilesStillKills) {
  TempDir dir;
  const std::string path = dir.File("f");
  WriteFileOrDie(path, std::string(8 * 4096, 'x'));
  EXPECT_EXIT(
      {
        auto installed = MappedFile::Open(path);  // installs the handler
        if (!installed.ok()) std::_Exit(3);
        int fd = ::open(path.c_str(), O_RDONLY);
        auto* p = static_cast<const volatile char*>(
            ::mmap(nullptr, 8 * 4096, PROT_READ, MAP_PRIVATE, fd, 0));
        if (::truncate(path.c_str(), 0) != 0) std::_Exit(4);
        char c = p[5 * 4096];
        std::_Exit(c == 0 ? 5 : 6);
      },
      ::testing::KilledBySignal(SIGBUS), "");
}

}  // namespace
}  // namespace fanout
