// Copyright 2026 The fan-out engine authors.

#ifndef FANOUT_ENGINE_DELIVERY_SINK_H_
#define FANOUT_ENGINE_DELIVERY_SINK_H_

#include <cstdint>
#include <functional>
#include <vector>

#include "absl/status/status.h"
#include "absl/types/span.h"
#include "engine/delivery.h"

namespace fanout {

// Where an alert's delivery lists go: files for the push fleet
// (DirectorySink), a linked service's callback (CallbackSink), or anything a
// service implements.
//
// Thread-safety: a sink receives one alert at a time unless the
// implementation says otherwise.
class DeliverySink {
 public:
  virtual ~DeliverySink() = default;
  // Receives the lists of one alert. `summary` has every stage timing but
  // emit_ms, which the sink's own work is measured as. A non-OK status fails
  // the alert.
  virtual absl::Status Deliver(const DeliveryLists& lists, const AlertSummary& summary) = 0;
  // Receives the lists of an alert split by info block (AlertExecutor::
  // Options::info_languages): `by_info[k]` holds the users given block k,
  // their union is `lists`. DEFAULT: Deliver(lists, summary), the split
  // dropped (the counts stay in summary.by_info); DirectorySink writes
  // each block's lists too.
  virtual absl::Status DeliverByInfo(const DeliveryLists& lists,
                                     const std::vector<DeliveryLists>& by_info,
                                     const AlertSummary& summary) {
    (void)by_info;
    return Deliver(lists, summary);
  }
};

// Calls `on_shard` once per shard, in shard order, with that shard's ids
// (empty shards included), then `on_done` (optional) with the summary. The
// first non-OK status stops delivery and is returned.
//
// Thread-safety: the callbacks are called from the delivering thread, one at
// a time; concurrent Deliver calls are safe when the callbacks are.
//
// Typical usage:
//   CallbackSink sink([&](uint32_t shard, absl::Span<const uint64_t> ids) {
//     return push_fleet.Enqueue(shard, ids);
//   });
class CallbackSink : public DeliverySink {
 public:
  using ShardCallback = std::function<absl::Status(uint32_t shard, absl::Span<const uint64_t>)>;
  using DoneCallback = std::function<absl::Status(const AlertSummary&)>;

  explicit CallbackSink(ShardCallback on_shard, DoneCallback on_done = nullptr)
      : on_shard_(std::move(on_shard)), on_done_(std::move(on_done)) {}

  absl::Status Deliver(const DeliveryLists& lists, const AlertSummary& summary) override {
    for (uint32_t s = 0; s < lists.shards.size(); ++s) {
      absl::Status status = on_shard_(s, lists.shards[s]);
      if (!status.ok()) return status;
    }
    return on_done_ ? on_done_(summary) : absl::OkStatus();
  }

 private:
  ShardCallback on_shard_;
  DoneCallback on_done_;
};

}  // namespace fanout

#endif  // FANOUT_ENGINE_DELIVERY_SINK_H_
