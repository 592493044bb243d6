// Copyright 2026 The fan-out engine authors.

#include "bench/bench_fixtures.h"

#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>

#include "base/data_dir.h"
#include "base/mapped_file.h"
#include "geo/geojson_area.h"
#include "geo/lat_lng_text.h"
#include "geo/polygon_builder.h"
#include "sim/population_generator.h"

namespace fanout {
namespace bench {
namespace {

template <typename T>
T OrDie(absl::StatusOr<T> v, const char* what) {
  if (!v.ok()) {
    std::fprintf(stderr, "bench fixture %s: %s\n", what, std::string(v.status().message()).c_str());
    std::exit(1);
  }
  return *std::move(v);
}

std::unique_ptr<AlertArea> BoundaryFeature(const char* file, const char* id) {
  std::string path = OrDie(FindDataFile(file), file);
  auto mapped = OrDie(MappedFile::Open(path), file);
  GeoJsonOptions options;
  options.feature_id = id;
  return OrDie(ParseGeoJsonArea(mapped->view(), options), id);
}

}  // namespace

const LocationIndex& UsUsersIndex(uint64_t users) {
  static std::mutex mu;
  static auto* cache = new std::map<uint64_t, std::unique_ptr<LocationIndex>>();
  std::lock_guard<std::mutex> lock(mu);
  auto& slot = (*cache)[users];
  if (slot == nullptr) {
    auto cities = OrDie(LoadCities(OrDie(FindDataFile("cities.csv"), "cities")), "cities");
    auto generator = OrDie(PopulationGenerator::Create(cities, Region::kUs, 42), "generator");
    std::vector<UserRecord> records = generator->GenerateAll(users, false);
    slot = OrDie(LocationIndex::Build(records, {}), "index");
  }
  return *slot;
}

const AlertArea& StandardArea(const std::string& name) {
  static std::mutex mu;
  static auto* cache = new std::map<std::string, std::unique_ptr<AlertArea>>();
  std::lock_guard<std::mutex> lock(mu);
  auto& slot = (*cache)[name];
  if (slot == nullptr) {
    if (name == "county") {
      slot = BoundaryFeature("boundaries/us-counties.geojson", "48201");
    } else if (name == "state") {
      slot = BoundaryFeature("boundaries/us-states.geojson", "48");
    } else if (name == "nation") {
      slot = BoundaryFeature("boundaries/us-nation.geojson", "US");
    } else if (name == "circle") {
      slot = std::make_unique<AlertArea>();
      slot->AddCap(MakeCircle(S2LatLng::FromDegrees(29.76, -95.37), 50));
    } else if (name == "texas9") {
      LatLngRing ring = OrDie(
          ParsePolygonText("36.5,-103.0 36.5,-100.0 34.5,-100.0 33.8,-96.5 33.5,-94.0 "
                           "29.7,-93.8 26.0,-97.2 29.8,-101.4 31.8,-106.6 36.5,-103.0"),
          "texas9");
      slot = std::make_unique<AlertArea>();
      slot->AddPolygon(OrDie(BuildPolygon({ring}, EdgeModel::kPlanar), "texas9"));
    } else {
      std::fprintf(stderr, "unknown standard area %s\n", name.c_str());
      std::exit(1);
    }
    slot->Finalize();
  }
  return *slot;
}

}  // namespace bench
}  // namespace fanout
