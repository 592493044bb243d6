// Copyright 2026 The fan-out engine authors.

#ifndef FANOUT_ENGINE_STANDING_SINK_H_
#define FANOUT_ENGINE_STANDING_SINK_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "engine/delivery.h"
#include "engine/delivery_sink.h"

namespace fanout {

// One user handed to a standing alert after its initial lists, with the
// sequence number of the update that brought them in (for a user reached by
// an area update or by a sink attached after a restart: the sequence number
// of the state that catch-up scan saw).
struct LateUser {
  uint64_t user_id = 0;
  uint64_t seq = 0;
};

// Why late users were handed.
enum class LateReason {
  kEntered,      // their update put them inside the active area
  kAreaUpdated,  // inside the area a CAP Update (or UpdateStanding) gave it
  kAttached,     // inside when the sink was attached after a restart
};

// Why a standing alert ended.
enum class EndReason {
  kEnded,      // Engine::EndAlert
  kCancelled,  // a CAP Cancel whose references name it
  kExpired,    // its expiry passed on the engine's clock
};
absl::string_view EndReasonName(EndReason reason);  // "ended", "cancelled", "expired"

// Where a standing alert's deliveries go (DESIGN §8). A DeliverySink (the
// initial lists arrive through Deliver, exactly as for a one-off alert),
// plus the late deliveries and the end. The engine holds the sink (a
// shared_ptr) while the alert is active.
//
// Order for one alert: Deliver (once), then DeliverLate any number of
// times, then Ended (once, unless the engine closes first). Late deliveries
// for one alert are never concurrent with each other or with Deliver, but
// two batches may arrive in an order other than their sequence numbers
// (each user carries its own). Every user is handed at most once over the
// alert's life, across area updates, checkpoints and restarts.
//
// Thread-safety: called from the threads of Engine::Apply and of the
// standing calls, one call at a time per alert; a sink shared by several
// alerts must be safe for concurrent calls.
class StandingSink : public DeliverySink {
 public:
  // Late users, one list per shard (mix64 policy, the alert's shards;
  // empty shards included). A non-OK status is counted
  // (Engine::Stats::standing_sink_errors). The users stay delivered, except
  // for the catch-up call of Engine::UpdateStanding (kAreaUpdated) or
  // AttachStandingSink (kAttached), made on that caller's thread: its error
  // is returned to the caller, and its users are taken as not handed (a
  // retry hands them again). So a sink that makes such a call all or
  // nothing (an error: none of its users handed) hands each user once.
  virtual absl::Status DeliverLate(absl::string_view alert_id, LateReason reason,
                                   const std::vector<std::vector<LateUser>>& shards) = 0;
  // The alert ended. `delivered`: everyone it was ever delivered to, one
  // list per shard, when the alert was issued with list_on_end (else null).
  virtual absl::Status Ended(absl::string_view alert_id, EndReason reason,
                             const DeliveryLists* delivered) {
    (void)alert_id, (void)reason, (void)delivered;
    return absl::OkStatus();
  }
};

}  // namespace fanout

#endif  // FANOUT_ENGINE_STANDING_SINK_H_
