// Copyright 2026 The fan-out engine authors.

#include "engine/internal/standing_journal.h"

#include <fcntl.h>
#include <unistd.h>
#include <xxhash.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "base/atomic_file.h"
#include "base/file_io.h"
#include "base/status_macros.h"

namespace fanout {
namespace internal {
namespace {

constexpr size_t kHeaderBytes = 16;  // magic, version, reserved
constexpr size_t kFrameBytes = 16;   // length, type, checksum
constexpr uint32_t kMaxPayload = 1u << 30;

void PutU32(std::string* out, uint32_t v) { out->append(reinterpret_cast<const char*>(&v), 4); }
void PutU64(std::string* out, uint64_t v) { out->append(reinterpret_cast<const char*>(&v), 8); }
void PutVarint(std::string* out, uint64_t v) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>(v | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}
void PutString(std::string* out, absl::string_view s) {
  PutVarint(out, s.size());
  out->append(s.data(), s.size());
}

// Reads a payload; every getter fails (returns false) past the end.
class Reader {
 public:
  explicit Reader(absl::string_view in) : in_(in) {}
  bool U8(uint8_t* v) {
    if (in_.empty()) return false;
    *v = static_cast<uint8_t>(in_[0]);
    in_.remove_prefix(1);
    return true;
  }
  bool U32(uint32_t* v) { return Fixed(v, 4); }
  bool U64(uint64_t* v) { return Fixed(v, 8); }
  bool Varint(uint64_t* v) {
    *v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      uint8_t b;
      if (!U8(&b)) return false;
      *v |= uint64_t{b & 0x7fu} << shift;
      if (!(b & 0x80)) return true;
    }
    return false;
  }
  bool String(std::string* s) {
    uint64_t n;
    if (!Varint(&n) || n > in_.size()) return false;
    s->assign(in_.data(), n);
    in_.remove_prefix(n);
    return true;
  }
  bool done() const { return in_.empty(); }

 private:
  bool Fixed(void* v, size_t n) {
    if (in_.size() < n) return false;
    std::memcpy(v, in_.data(), n);
    in_.remove_prefix(n);
    return true;
  }
  absl::string_view in_;
};

void PutRecipe(std::string* out, const StandingRecipe& r) {
  PutString(out, r.id);
  out->push_back(static_cast<char>(r.format));
  PutString(out, r.feature_id);
  out->push_back(static_cast<char>(r.edges));
  out->push_back(static_cast<char>(r.lenient));
  out->push_back(static_cast<char>(r.geocodes_union));
  uint64_t margin;
  std::memcpy(&margin, &r.margin_m, 8);
  PutU64(out, margin);
  PutU32(out, r.shards);
  PutU64(out, static_cast<uint64_t>(r.expires_unix_ns));
  out->push_back(static_cast<char>(r.list_on_end));
  PutU64(out, r.seq);
  PutString(out, r.cap_sender);
  PutString(out, r.cap_identifier);
  PutString(out, r.text);
}

bool GetRecipe(Reader* in, StandingRecipe* r) {
  uint8_t lenient, geocodes_union, list_on_end;
  uint64_t margin, expires;
  if (!in->String(&r->id) || !in->U8(&r->format) || !in->String(&r->feature_id) ||
      !in->U8(&r->edges) || !in->U8(&lenient) || !in->U8(&geocodes_union) || !in->U64(&margin) ||
      !in->U32(&r->shards) || !in->U64(&expires) || !in->U8(&list_on_end) || !in->U64(&r->seq) ||
      !in->String(&r->cap_sender) || !in->String(&r->cap_identifier) || !in->String(&r->text)) {
    return false;
  }
  r->lenient = lenient != 0;
  r->geocodes_union = geocodes_union != 0;
  r->list_on_end = list_on_end != 0;
  std::memcpy(&r->margin_m, &margin, 8);
  r->expires_unix_ns = static_cast<int64_t>(expires);
  return true;
}

std::string Header() {
  std::string h(kStandingJournalMagic, 8);
  PutU32(&h, kStandingJournalVersion);
  PutU32(&h, 0);
  return h;
}

}  // namespace

std::string EncodeJournalRecord(const JournalRecord& record) {
  std::string payload;
  switch (record.type) {
    case JournalRecord::kIssue:
    case JournalRecord::kArea:
      PutRecipe(&payload, record.recipe);
      break;
    case JournalRecord::kDelivered:
    case JournalRecord::kUnhanded: {
      PutString(&payload, record.id);
      PutVarint(&payload, record.users.size());
      uint64_t prev = 0;
      for (uint64_t u : record.users) {  // sorted: deltas
        PutVarint(&payload, u - prev);
        prev = u;
      }
      break;
    }
    case JournalRecord::kEnd:
      PutString(&payload, record.id);
      payload.push_back(static_cast<char>(record.end_reason));
      break;
  }
  std::string frame;
  frame.reserve(kFrameBytes + payload.size());
  PutU32(&frame, static_cast<uint32_t>(payload.size()));
  PutU32(&frame, static_cast<uint32_t>(record.type));
  PutU64(&frame, XXH3_64bits(payload.data(), payload.size()) ^ record.type);
  frame += payload;
  return frame;
}

absl::StatusOr<std::vector<JournalRecord>> ReadStandingJournal(const std::string& path,
                                                               std::string* torn_detail) {
  torn_detail->clear();
  std::vector<JournalRecord> records;
  std::string bytes;
  {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      if (errno == ENOENT) return records;
      return ErrnoError("cannot open", path);
    }
    char buf[1 << 16];
    while (true) {
      const ssize_t n = ::read(fd, buf, sizeof(buf));
      if (n < 0) {
        if (errno == EINTR) continue;
        absl::Status st = ErrnoError("cannot read", path);
        ::close(fd);
        return st;
      }
      if (n == 0) break;
      bytes.append(buf, static_cast<size_t>(n));
    }
    ::close(fd);
  }
  if (bytes.size() < kHeaderBytes || bytes.compare(0, kHeaderBytes, Header()) != 0) {
    return absl::DataLossError(absl::StrCat(
        path, ": not a standing-alert journal of version ", kStandingJournalVersion,
        " (bad or missing header)"));
  }
  size_t pos = kHeaderBytes;
  while (pos < bytes.size()) {
    uint32_t len, type;
    uint64_t sum;
    if (bytes.size() - pos < kFrameBytes) {
      *torn_detail = absl::StrCat(path, ": frame at byte ", pos, " cut short by the end of the file");
      break;
    }
    std::memcpy(&len, bytes.data() + pos, 4);
    std::memcpy(&type, bytes.data() + pos + 4, 4);
    std::memcpy(&sum, bytes.data() + pos + 8, 8);
    if (len > kMaxPayload || bytes.size() - pos - kFrameBytes < len) {
      *torn_detail = absl::StrCat(path, ": frame at byte ", pos, " cut short by the end of the file");
      break;
    }
    const absl::string_view payload(bytes.data() + pos + kFrameBytes, len);
    const bool last = pos + kFrameBytes + len == bytes.size();
    if ((XXH3_64bits(payload.data(), payload.size()) ^ type) != sum) {
      if (last) {
        *torn_detail = absl::StrCat(path, ": last frame, at byte ", pos, ", fails its checksum");
        break;
      }
      return absl::DataLossError(
          absl::StrCat(path, ": frame at byte ", pos, " fails its checksum"));
    }
    JournalRecord r;
    Reader in(payload);
    bool ok = true;
    switch (type) {
      case JournalRecord::kIssue:
      case JournalRecord::kArea:
        r.type = static_cast<JournalRecord::Type>(type);
        ok = GetRecipe(&in, &r.recipe);
        break;
      case JournalRecord::kDelivered:
      case JournalRecord::kUnhanded: {
        r.type = static_cast<JournalRecord::Type>(type);
        uint64_t n = 0, prev = 0, d;
        ok = in.String(&r.id) && in.Varint(&n) && n <= payload.size();
        for (uint64_t i = 0; ok && i < n; ++i) {
          ok = in.Varint(&d);
          prev += d;
          r.users.push_back(prev);
        }
        break;
      }
      case JournalRecord::kEnd:
        r.type = JournalRecord::kEnd;
        ok = in.String(&r.id) && in.U8(&r.end_reason);
        break;
      default:
        ok = false;
    }
    if (!ok || !in.done()) {
      return absl::DataLossError(absl::StrCat(path, ": frame at byte ", pos, " (type ", type,
                                              ") does not decode"));
    }
    records.push_back(std::move(r));
    pos += kFrameBytes + len;
  }
  return records;
}

absl::StatusOr<std::unique_ptr<StandingJournalWriter>> StandingJournalWriter::Create(
    const std::string& path, const std::vector<JournalRecord>& records) {
  uint64_t bytes = 0;
  RETURN_IF_ERROR(WriteFileAtomically(path, [&](const AppendFn& append) -> absl::Status {
    const std::string header = Header();
    RETURN_IF_ERROR(append(header));
    bytes += header.size();
    for (const JournalRecord& r : records) {
      const std::string frame = EncodeJournalRecord(r);
      RETURN_IF_ERROR(append(frame));
      bytes += frame.size();
    }
    return absl::OkStatus();
  }));
  const int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  if (fd < 0) return ErrnoError("cannot open", path);
  return std::unique_ptr<StandingJournalWriter>(new StandingJournalWriter(path, fd, bytes));
}

StandingJournalWriter::~StandingJournalWriter() { ::close(fd_); }

absl::Status StandingJournalWriter::Append(const JournalRecord& record) {
  const std::string frame = EncodeJournalRecord(record);
  RETURN_IF_ERROR(WriteFully(fd_, frame, path_));
  bytes_ += frame.size();
  return absl::OkStatus();
}

absl::Status StandingJournalWriter::Sync() {
  if (::fdatasync(fd_) != 0) return ErrnoError("cannot sync", path_);
  return absl::OkStatus();
}

}  // namespace internal
}  // namespace fanout
