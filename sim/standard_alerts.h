// Copyright 2026 The fan-out engine authors.

#ifndef FANOUT_SIM_STANDARD_ALERTS_H_
#define FANOUT_SIM_STANDARD_ALERTS_H_

#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "geo/alert_area.h"

namespace fanout {

// A named alert area of the standard set (DESIGN §5).
struct NamedArea {
  std::string name;
  std::unique_ptr<AlertArea> area;
};

// The standard alerts of `fanout bench` and `fanout loadtest`: "county"
// (Harris County TX, FIPS 48201), "state" (Texas, FIPS 48), "circle" (50 km
// around 29.76,-95.37) and, when `with_nation`, "nation" (every state, from
// us-nation.geojson). Boundaries come from data/ (base/data_dir.h).
absl::StatusOr<std::vector<NamedArea>> StandardAlerts(bool with_nation);

// A warning-sized polygon: 6 to 10 vertices at 5 to 40 km around a centre,
// with jittered radii (so some are concave); planar edges, finalized.
std::unique_ptr<AlertArea> RandomWarning(std::mt19937_64& rng, double lat, double lng);

// Percentile p (in [0, 1], nearest rank) of `v`; 0 when empty.
double Percentile(std::vector<double> v, double p);

}  // namespace fanout

#endif  // FANOUT_SIM_STANDARD_ALERTS_H_
