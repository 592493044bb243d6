// Copyright 2026 The fan-out engine authors.

#include "sim/standard_alerts.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "base/data_dir.h"
#include "base/mapped_file.h"
#include "base/status_macros.h"
#include "geo/geojson_area.h"
#include "geo/polygon_builder.h"
#include "s2/s2latlng.h"

namespace fanout {
namespace {

absl::StatusOr<std::unique_ptr<AlertArea>> BoundaryArea(const char* file, const char* feature) {
  ASSIGN_OR_RETURN(std::string path, FindDataFile(file));
  ASSIGN_OR_RETURN(auto mapped, MappedFile::Open(path));
  GeoJsonOptions options;
  if (feature != nullptr) options.feature_id = feature;
  return ParseGeoJsonArea(mapped->view(), options);
}

}  // namespace

std::unique_ptr<AlertArea> RandomWarning(std::mt19937_64& rng, double lat, double lng) {
  std::uniform_real_distribution<double> u(0, 1);
  int n = 6 + static_cast<int>(u(rng) * 5);
  double radius_km = 5 + 35 * u(rng);
  LatLngRing ring;
  for (int i = 0; i < n; ++i) {
    double angle = 2 * M_PI * i / n;
    double r = radius_km * (0.6 + 0.4 * u(rng));
    double dlat = r * std::cos(angle) / 111.2;
    double dlng = r * std::sin(angle) / (111.2 * std::cos(lat * M_PI / 180));
    ring.push_back(S2LatLng::FromDegrees(lat + dlat, lng + dlng));
  }
  ring.push_back(ring.front());
  auto area = std::make_unique<AlertArea>();
  auto polygon = BuildPolygon({ring}, EdgeModel::kPlanar);
  if (polygon.ok()) area->AddPolygon(*std::move(polygon));
  area->Finalize();
  return area;
}

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t i = static_cast<size_t>(std::ceil(p * v.size())) - 1;
  return v[std::min(i, v.size() - 1)];
}

absl::StatusOr<std::vector<NamedArea>> StandardAlerts(bool with_nation) {
  std::vector<NamedArea> standard;
  ASSIGN_OR_RETURN(auto county, BoundaryArea("boundaries/us-counties.geojson", "48201"));
  standard.push_back({"county", std::move(county)});
  ASSIGN_OR_RETURN(auto state, BoundaryArea("boundaries/us-states.geojson", "48"));
  standard.push_back({"state", std::move(state)});
  auto circle = std::make_unique<AlertArea>();
  circle->AddCap(MakeCircle(S2LatLng::FromDegrees(29.76, -95.37), 50));
  circle->Finalize();
  standard.push_back({"circle", std::move(circle)});
  if (with_nation) {
    // Every state: the union precomputed from the same arcs.
    ASSIGN_OR_RETURN(auto nation, BoundaryArea("boundaries/us-nation.geojson", nullptr));
    standard.push_back({"nation", std::move(nation)});
  }
  return standard;
}

}  // namespace fanout
