// Copyright 2026 The fan-out engine authors.

#include "mpi/mpi_world.h"

#include <mpi.h>

#include <algorithm>
#include <cstdlib>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace fanout {
namespace {

// Largest piece of one message, in elements (MPI counts are int).
constexpr size_t kPiece = size_t{1} << 28;
// A failing rank's message is cut to this many bytes in Agree.
constexpr size_t kMaxMessage = 4096;

}  // namespace

MpiWorld::MpiWorld(int* argc, char*** argv) {
  // A rank waiting in a collective yields its core instead of spinning on
  // it, unless the user chose otherwise (`--mca mpi_yield_when_idle 0`
  // reaches the rank as this variable, set). Open MPI yields by itself only
  // when it sees more ranks than slots; with one rank per core of a host
  // and oneTBB unbound (`--bind-to none`), a rank that finished its scan
  // spins on a core the slowest rank's workers need, and the alert waits
  // for its own spinning (bench/README.md, "Scaling on this machine").
  // Other MPI implementations ignore the variable.
  setenv("OMPI_MCA_mpi_yield_when_idle", "1", /*overwrite=*/0);
  int provided = 0;
  MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided);
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_ARE_FATAL);
  MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
  MPI_Comm_size(MPI_COMM_WORLD, &size_);
}

MpiWorld::~MpiWorld() { MPI_Finalize(); }

int MpiWorld::YieldWhenIdle() const {
  int provided = 0;
  if (MPI_T_init_thread(MPI_THREAD_SINGLE, &provided) != MPI_SUCCESS) return -1;
  int value = -1, index = 0, count = 0;
  MPI_T_cvar_handle handle;
  if (MPI_T_cvar_get_index("mpi_yield_when_idle", &index) == MPI_SUCCESS &&
      MPI_T_cvar_handle_alloc(index, nullptr, &handle, &count) == MPI_SUCCESS) {
    // Open MPI reads a bool variable as an int.
    int v = 0;
    if (count == 1 && MPI_T_cvar_read(handle, &v) == MPI_SUCCESS) value = v != 0 ? 1 : 0;
    MPI_T_cvar_handle_free(&handle);
  }
  MPI_T_finalize();
  return value;
}

absl::Status MpiWorld::Agree(const absl::Status& status) {
  int code = static_cast<int>(status.code());
  std::vector<int> codes(size_);
  MPI_Allgather(&code, 1, MPI_INT, codes.data(), 1, MPI_INT, MPI_COMM_WORLD);
  if (std::all_of(codes.begin(), codes.end(), [](int c) { return c == 0; })) {
    return absl::OkStatus();
  }
  std::string mine(status.message().substr(0, kMaxMessage));
  int length = static_cast<int>(mine.size());
  std::vector<int> lengths(size_), offsets(size_);
  MPI_Allgather(&length, 1, MPI_INT, lengths.data(), 1, MPI_INT, MPI_COMM_WORLD);
  int total = 0;
  for (int r = 0; r < size_; ++r) {
    offsets[r] = total;
    total += lengths[r];
  }
  std::string all(total, '\0');
  MPI_Allgatherv(mine.data(), length, MPI_CHAR, all.data(), lengths.data(), offsets.data(),
                 MPI_CHAR, MPI_COMM_WORLD);
  // One line per distinct message, naming the ranks that gave it: "rank 2
  // of 4: ..." or, when several ranks refuse alike, "ranks 0, 1, 2, 3 of 4".
  std::vector<std::pair<std::string, std::vector<int>>> distinct;
  absl::StatusCode first = absl::StatusCode::kOk;
  for (int r = 0; r < size_; ++r) {
    if (codes[r] == 0) continue;
    if (first == absl::StatusCode::kOk) first = static_cast<absl::StatusCode>(codes[r]);
    std::string text = all.substr(offsets[r], lengths[r]);
    auto same = std::find_if(distinct.begin(), distinct.end(),
                             [&](const auto& d) { return d.first == text; });
    if (same == distinct.end()) {
      distinct.push_back({std::move(text), {r}});
    } else {
      same->second.push_back(r);
    }
  }
  std::string message;
  for (const auto& [text, ranks] : distinct) {
    absl::StrAppend(&message, message.empty() ? "" : "; ", ranks.size() == 1 ? "rank " : "ranks ",
                    absl::StrJoin(ranks, ", "), " of ", size_, ": ", text);
  }
  return absl::Status(first, message);
}

std::string MpiWorld::Broadcast(const std::string& text) {
  uint64_t size = text.size();
  MPI_Bcast(&size, 1, MPI_UINT64_T, 0, MPI_COMM_WORLD);
  std::string out = root() ? text : std::string(size, '\0');
  for (size_t at = 0; at < size; at += kPiece) {
    MPI_Bcast(out.data() + at, static_cast<int>(std::min(kPiece, size - at)), MPI_CHAR, 0,
              MPI_COMM_WORLD);
  }
  return out;
}

std::vector<uint64_t> MpiWorld::Broadcast(std::vector<uint64_t> values) {
  uint64_t size = values.size();
  MPI_Bcast(&size, 1, MPI_UINT64_T, 0, MPI_COMM_WORLD);
  values.resize(size);
  for (size_t at = 0; at < size; at += kPiece) {
    MPI_Bcast(values.data() + at, static_cast<int>(std::min(kPiece, size - at)), MPI_UINT64_T, 0,
              MPI_COMM_WORLD);
  }
  return values;
}

std::vector<uint64_t> MpiWorld::GatherToRoot(const std::vector<uint64_t>& values) {
  // Small (samples): one Gatherv; counts fit an int by construction.
  int count = static_cast<int>(values.size());
  std::vector<int> counts(size_), offsets(size_);
  MPI_Gather(&count, 1, MPI_INT, counts.data(), 1, MPI_INT, 0, MPI_COMM_WORLD);
  std::vector<uint64_t> out;
  if (root()) {
    int total = 0;
    for (int r = 0; r < size_; ++r) {
      offsets[r] = total;
      total += counts[r];
    }
    out.resize(total);
  }
  MPI_Gatherv(values.data(), count, MPI_UINT64_T, out.data(), counts.data(), offsets.data(),
              MPI_UINT64_T, 0, MPI_COMM_WORLD);
  return out;
}

std::vector<uint64_t> MpiWorld::SumToRoot(const std::vector<uint64_t>& values) {
  std::vector<uint64_t> out(values.size());
  MPI_Reduce(values.data(), out.data(), static_cast<int>(values.size()), MPI_UINT64_T, MPI_SUM,
             0, MPI_COMM_WORLD);
  return out;
}

std::vector<double> MpiWorld::MaxToRoot(const std::vector<double>& values) {
  std::vector<double> out(values.size());
  MPI_Reduce(values.data(), out.data(), static_cast<int>(values.size()), MPI_DOUBLE, MPI_MAX, 0,
             MPI_COMM_WORLD);
  return out;
}

void MpiWorld::GatherLists(DeliveryLists* lists) {
  const size_t shards = lists->shards.size();
  std::vector<uint64_t> mine(shards);
  for (size_t s = 0; s < shards; ++s) mine[s] = lists->shards[s].size();
  // Every rank's per-shard counts, rank-major, on rank 0.
  std::vector<uint64_t> counts = GatherToRoot(mine);
  if (!root()) {
    for (size_t s = 0; s < shards; ++s) {
      const UserIdList& list = lists->shards[s];
      for (size_t at = 0; at < list.size(); at += kPiece) {
        MPI_Send(list.data() + at, static_cast<int>(std::min(kPiece, list.size() - at)),
                 MPI_UINT64_T, 0, /*tag=*/0, MPI_COMM_WORLD);
      }
    }
    lists->shards.clear();
    return;
  }
  for (size_t s = 0; s < shards; ++s) {
    uint64_t total = 0;
    for (int r = 0; r < size_; ++r) total += counts[r * shards + s];
    lists->shards[s].resize(total);
  }
  // Receive rank by rank, shard by shard, in the order each rank sends;
  // rank 0's own ids stay at the front of each list.
  std::vector<uint64_t> filled(shards);
  for (size_t s = 0; s < shards; ++s) filled[s] = counts[s];
  for (int r = 1; r < size_; ++r) {
    for (size_t s = 0; s < shards; ++s) {
      const uint64_t n = counts[r * shards + s];
      uint64_t* at = lists->shards[s].data() + filled[s];
      for (size_t done = 0; done < n; done += kPiece) {
        MPI_Recv(at + done, static_cast<int>(std::min<uint64_t>(kPiece, n - done)), MPI_UINT64_T,
                 r, /*tag=*/0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
      }
      filled[s] += n;
    }
  }
}

std::vector<int64_t> MpiWorld::MaxAll(const std::vector<int64_t>& values) {
  std::vector<int64_t> out(values.size());
  MPI_Allreduce(values.data(), out.data(), static_cast<int>(values.size()), MPI_INT64_T, MPI_MAX,
                MPI_COMM_WORLD);
  return out;
}

void MpiWorld::ExchangeBytes(const std::vector<Bytes>& spans,
                             absl::FunctionRef<char*(uint64_t total)> allocate) {
  std::vector<uint64_t> send_sizes(size_), recv_sizes(size_);
  for (int r = 0; r < size_; ++r) send_sizes[r] = spans[r].size;
  MPI_Alltoall(send_sizes.data(), 1, MPI_UINT64_T, recv_sizes.data(), 1, MPI_UINT64_T,
               MPI_COMM_WORLD);
  std::vector<uint64_t> offsets(size_);
  uint64_t total = 0;
  for (int r = 0; r < size_; ++r) {
    offsets[r] = total;
    total += recv_sizes[r];
  }
  char* in = allocate(total);
  if (spans[rank_].size > 0) std::memcpy(in + offsets[rank_], spans[rank_].data, spans[rank_].size);
  // Point to point, every piece posted at once: each side knows every
  // size, and messages between two ranks with one tag arrive in order.
  constexpr size_t kPieceBytes = size_t{1} << 30;
  constexpr int kTag = 7;
  std::vector<MPI_Request> requests;
  for (int r = 0; r < size_; ++r) {
    if (r == rank_) continue;
    for (uint64_t at = 0; at < recv_sizes[r]; at += kPieceBytes) {
      requests.emplace_back();
      MPI_Irecv(in + offsets[r] + at, static_cast<int>(std::min<uint64_t>(kPieceBytes, recv_sizes[r] - at)),
                MPI_BYTE, r, kTag, MPI_COMM_WORLD, &requests.back());
    }
    for (uint64_t at = 0; at < send_sizes[r]; at += kPieceBytes) {
      requests.emplace_back();
      MPI_Isend(spans[r].data + at, static_cast<int>(std::min<uint64_t>(kPieceBytes, send_sizes[r] - at)),
                MPI_BYTE, r, kTag, MPI_COMM_WORLD, &requests.back());
    }
  }
  MPI_Waitall(static_cast<int>(requests.size()), requests.data(), MPI_STATUSES_IGNORE);
}

}  // namespace fanout
