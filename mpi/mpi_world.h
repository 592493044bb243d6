// Copyright 2026 The fan-out engine authors.

#ifndef FANOUT_MPI_MPI_WORLD_H_
#define FANOUT_MPI_MPI_WORLD_H_

#include <cstdint>
#include <cstring>
#include <string>
#include <type_traits>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "engine/delivery.h"

namespace fanout {

// The few collective steps a partitioned alert needs, over MPI_COMM_WORLD
// (DESIGN §9). Every method is collective: every rank must call it, in the
// same order, or the job hangs; the alert and build commands are written
// as a fixed sequence of stages, each ended by Agree, so a rank that fails
// a stage still takes part in every later collective up to the agreement
// that stops them all.
//
// Failure model: a rank whose stage fails (bad input, a missing part, out
// of memory) reports it through Agree and every rank returns the same
// error naming it; a rank that dies (killed, crashed) makes mpirun abort
// the whole job (its default), naming the rank, before rank 0 can have
// written anything, because rank 0 writes only after gathering from
// every rank.
//
// Thread-safety: call from the main thread only (MPI is initialised with
// MPI_THREAD_FUNNELED); TBB workers never call MPI.
class MpiWorld {
 public:
  // MPI_Init_thread; MPI errors abort the job (MPI_ERRORS_ARE_FATAL).
  MpiWorld(int* argc, char*** argv);
  ~MpiWorld();  // MPI_Finalize
  MpiWorld(const MpiWorld&) = delete;
  MpiWorld& operator=(const MpiWorld&) = delete;

  // Open MPI's mpi_yield_when_idle as this rank runs with it (read back
  // through the MPI tool interface, so it shows what took effect): 1 when
  // a waiting rank yields its core, 0 when it spins, -1 when the MPI
  // library has no such variable.
  int YieldWhenIdle() const;

  int rank() const { return rank_; }
  int size() const { return size_; }
  bool root() const { return rank_ == 0; }

  // Every rank's `status` combined: OK when all are OK; otherwise, on every
  // rank, the status of the lowest failing rank's code whose message is
  // "rank R of K: <message>" for each failing rank (joined with "; ").
  absl::Status Agree(const absl::Status& status);

  // Rank 0's `text` on every rank.
  std::string Broadcast(const std::string& text);
  // Rank 0's values on every rank.
  std::vector<uint64_t> Broadcast(std::vector<uint64_t> values);

  // Every rank's `values` concatenated in rank order, on rank 0 (empty
  // elsewhere).
  std::vector<uint64_t> GatherToRoot(const std::vector<uint64_t>& values);
  // Element-wise sum / max over ranks, on rank 0 (elsewhere unspecified).
  std::vector<uint64_t> SumToRoot(const std::vector<uint64_t>& values);
  std::vector<double> MaxToRoot(const std::vector<double>& values);

  // Each rank's lists moved to rank 0: shard s of the result is shard s of
  // rank 0, then of rank 1, ... (so lists of ranks holding ascending cell
  // ranges stay in index order). `lists` must have the same shard count on
  // every rank. On rank 0 `lists` becomes the union; elsewhere it is
  // emptied. Lists of any length are sent in pieces below MPI's int count.
  void GatherLists(DeliveryLists* lists);

  // Element-wise max over ranks, on every rank.
  std::vector<int64_t> MaxAll(const std::vector<int64_t>& values);

  // All-to-all: outgoing[r] goes to rank r; returns what every rank sent
  // to this one, concatenated in rank order (so items from one sender keep
  // their order). `outgoing` must have size() entries. Any length: large
  // buffers travel in pieces below MPI's int count.
  template <typename T>
  std::vector<T> Exchange(const std::vector<std::vector<T>>& outgoing) {
    static_assert(std::is_trivially_copyable_v<T>, "Exchange copies bytes");
    std::vector<Bytes> spans;
    spans.reserve(outgoing.size());
    for (const std::vector<T>& v : outgoing) {
      spans.push_back({reinterpret_cast<const char*>(v.data()), v.size() * sizeof(T)});
    }
    std::vector<T> in;
    ExchangeBytes(spans, [&](uint64_t total) {
      in.resize(total / sizeof(T));
      return reinterpret_cast<char*>(in.data());
    });
    return in;
  }
  // The same from one buffer without a copy: the first counts[0] items go
  // to rank 0, the next counts[1] to rank 1, ... (counts add up to
  // data.size()).
  template <typename T>
  std::vector<T> Exchange(absl::Span<const T> data, const std::vector<size_t>& counts) {
    static_assert(std::is_trivially_copyable_v<T>, "Exchange copies bytes");
    std::vector<Bytes> spans;
    spans.reserve(counts.size());
    size_t at = 0;
    for (size_t n : counts) {
      spans.push_back({reinterpret_cast<const char*>(data.data() + at), n * sizeof(T)});
      at += n;
    }
    std::vector<T> in;
    ExchangeBytes(spans, [&](uint64_t total) {
      in.resize(total / sizeof(T));
      return reinterpret_cast<char*>(in.data());
    });
    return in;
  }

 private:
  struct Bytes {
    const char* data;
    uint64_t size;
  };
  // Sends spans[r] to rank r; `allocate(total)` returns room for the total
  // received, filled in rank order.
  void ExchangeBytes(const std::vector<Bytes>& spans,
                     absl::FunctionRef<char*(uint64_t total)> allocate);

  int rank_ = 0;
  int size_ = 1;
};

}  // namespace fanout

#endif  // FANOUT_MPI_MPI_WORLD_H_
