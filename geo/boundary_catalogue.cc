// Copyright 2026 The fan-out engine authors.

#include "geo/boundary_catalogue.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <map>
#include <sstream>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "base/data_dir.h"
#include "base/mapped_file.h"
#include "base/status_macros.h"
#include "geo/alert_resolver.h"
#include "geo/polygon_builder.h"
#include "nlohmann/json.hpp"
#include "xxhash.h"

namespace fanout {
namespace {

constexpr char kMagic[8] = {'F', 'O', 'B', 'N', 'D', 'C', 'A', 'T'};
constexpr uint32_t kVersion = 1;
constexpr size_t kHeaderBytes = 8 + 4 + 4 + 8;
constexpr size_t kIdBytes = 8, kNameBytes = 48;
constexpr size_t kEntryBytes = kIdBytes + kNameBytes + 4 + 4 + 8 + 8;

template <typename T>
void Put(std::string* out, T v) {
  char buf[sizeof(T)];
  std::memcpy(buf, &v, sizeof(T));  // The project targets little-endian hosts.
  out->append(buf, sizeof(T));
}

template <typename T>
bool Get(absl::string_view bytes, size_t* pos, T* v) {
  if (bytes.size() < sizeof(T) || *pos > bytes.size() - sizeof(T)) return false;
  std::memcpy(v, bytes.data() + *pos, sizeof(T));
  *pos += sizeof(T);
  return true;
}

void PutFixed(std::string* out, absl::string_view s, size_t width) {
  std::string field(s.substr(0, width));
  field.resize(width, '\0');
  out->append(field);
}

std::string GetFixed(const char* p, size_t width) {
  size_t n = 0;
  while (n < width && p[n] != '\0') ++n;
  return std::string(p, n);
}

using Json = nlohmann::json;

struct Region {
  std::string id, name;
  std::string payload;  // encoded polygons
  uint32_t polygons = 0;
};

absl::Status EncodePolygon(const Json& rings, std::string* out) {
  if (!rings.is_array()) return absl::InvalidArgumentError("polygon is not an array of rings");
  Put<uint32_t>(out, static_cast<uint32_t>(rings.size()));
  for (const Json& ring : rings) {
    if (!ring.is_array()) return absl::InvalidArgumentError("ring is not an array");
    Put<uint32_t>(out, static_cast<uint32_t>(ring.size()));
    for (const Json& pos : ring) {
      if (!pos.is_array() || pos.size() < 2 || !pos[0].is_number() || !pos[1].is_number()) {
        return absl::InvalidArgumentError("bad position");
      }
      double lng = pos[0].get<double>(), lat = pos[1].get<double>();
      Put<int32_t>(out, static_cast<int32_t>(std::lround(lat * 1e6)));
      Put<int32_t>(out, static_cast<int32_t>(std::lround(lng * 1e6)));
    }
  }
  return absl::OkStatus();
}

absl::Status AddRegions(absl::string_view text, const char* file,
                        const std::map<std::string, std::string>& state_names,
                        std::vector<Region>* regions) {
  Json root = Json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (root.is_discarded() || !root.is_object() || !root.contains("features")) {
    return absl::InvalidArgumentError(absl::StrCat(file, ": not a GeoJSON FeatureCollection"));
  }
  for (const Json& f : root["features"]) {
    Region r;
    if (!f.contains("id") || !f["id"].is_string()) {
      return absl::InvalidArgumentError(absl::StrCat(file, ": feature without a string id"));
    }
    r.id = f["id"].get<std::string>();
    const Json& props = f.value("properties", Json::object());
    std::string name = props.is_object() ? props.value("name", "") : "";
    if (r.id.size() == 5) {
      auto s = state_names.find(r.id.substr(0, 2));
      r.name = s == state_names.end() ? name : absl::StrCat(name, ", ", s->second);
    } else {
      r.name = r.id == "US" ? "United States" : name;
    }
    const Json& g = f.value("geometry", Json());
    if (g.is_object()) {
      std::string type = g.value("type", "");
      const Json& coords = g.value("coordinates", Json());
      if (type == "Polygon") {
        RETURN_IF_ERROR(EncodePolygon(coords, &r.payload));
        r.polygons = 1;
      } else if (type == "MultiPolygon" && coords.is_array()) {
        for (const Json& p : coords) {
          RETURN_IF_ERROR(EncodePolygon(p, &r.payload));
          ++r.polygons;
        }
      } else {
        return absl::InvalidArgumentError(absl::StrCat(file, ": ", r.id, ": unexpected geometry"));
      }
    }
    regions->push_back(std::move(r));
  }
  return absl::OkStatus();
}

}  // namespace

namespace {

absl::StatusOr<std::string> BuildCatalogueBytes(absl::string_view counties_geojson,
                                                absl::string_view states_geojson,
                                                absl::string_view nation_geojson) {
  std::map<std::string, std::string> state_names;
  Json states = Json::parse(states_geojson.begin(), states_geojson.end(), nullptr, false);
  if (states.is_discarded() || !states.contains("features")) {
    return absl::InvalidArgumentError("states: not a GeoJSON FeatureCollection");
  }
  for (const Json& f : states["features"]) {
    if (f.contains("id") && f["id"].is_string() && f.contains("properties")) {
      state_names[f["id"].get<std::string>()] = f["properties"].value("name", "");
    }
  }
  std::vector<Region> regions;
  RETURN_IF_ERROR(AddRegions(counties_geojson, "counties", state_names, &regions));
  RETURN_IF_ERROR(AddRegions(states_geojson, "states", state_names, &regions));
  RETURN_IF_ERROR(AddRegions(nation_geojson, "nation", state_names, &regions));
  std::sort(regions.begin(), regions.end(),
            [](const Region& a, const Region& b) { return a.id < b.id; });
  std::string body;
  uint64_t offset = 0;
  for (const Region& r : regions) {
    PutFixed(&body, r.id, kIdBytes);
    PutFixed(&body, r.name, kNameBytes);
    Put<uint32_t>(&body, r.polygons);
    Put<uint32_t>(&body, 0);
    Put<uint64_t>(&body, offset);
    Put<uint64_t>(&body, r.payload.size());
    offset += r.payload.size();
  }
  for (const Region& r : regions) body += r.payload;
  std::string out(kMagic, 8);
  Put<uint32_t>(&out, kVersion);
  Put<uint32_t>(&out, static_cast<uint32_t>(regions.size()));
  Put<uint64_t>(&out, XXH64(body.data(), body.size(), 0));
  out += body;
  return out;
}

// Seven counties of the 1:10m source (Alameda CA, Chesterfield VA, ...)
// have a ring that crosses or touches itself after simplification. Such a
// ring is resolved by S2Builder (odd-even, alert_resolver.h) and the rings
// are then combined by the odd-even rule as BuildPolygon does.
absl::StatusOr<std::unique_ptr<S2Polygon>> BuildWithRepairs(const std::vector<LatLngRing>& rings) {
  return BuildPolygonRepairingRings(rings, EdgeModel::kPlanar, std::numeric_limits<size_t>::max(),
                                    /*repairs=*/nullptr);
}

}  // namespace

absl::StatusOr<std::string> BuildBoundaryCatalogue(absl::string_view counties_geojson,
                                                   absl::string_view states_geojson,
                                                   absl::string_view nation_geojson) {
  // Accessors are type-checked where it matters; the catch keeps a JSON
  // type error in a hand-edited input from crossing the API as an exception.
  try {
    return BuildCatalogueBytes(counties_geojson, states_geojson, nation_geojson);
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("boundary GeoJSON: ", e.what()));
  }
}

absl::StatusOr<std::unique_ptr<BoundaryCatalogue>> BoundaryCatalogue::FromBytes(std::string bytes) {
  auto corrupt = [](absl::string_view what) {
    return absl::DataLossError(absl::StrCat("boundary catalogue is corrupt: ", what));
  };
  if (bytes.size() < kHeaderBytes || std::memcmp(bytes.data(), kMagic, 8) != 0) {
    return corrupt("bad magic");
  }
  size_t pos = 8;
  uint32_t version = 0, count = 0;
  uint64_t hash = 0;
  Get(bytes, &pos, &version);
  Get(bytes, &pos, &count);
  Get(bytes, &pos, &hash);
  if (version != kVersion) return corrupt(absl::StrCat("unsupported version ", version));
  if (XXH64(bytes.data() + kHeaderBytes, bytes.size() - kHeaderBytes, 0) != hash) {
    return corrupt("checksum mismatch");
  }
  if (count > (bytes.size() - kHeaderBytes) / kEntryBytes) return corrupt("entry count");
  std::unique_ptr<BoundaryCatalogue> c(new BoundaryCatalogue());
  c->payload_start_ = kHeaderBytes + size_t{count} * kEntryBytes;
  const uint64_t payload_bytes = bytes.size() - c->payload_start_;
  c->entries_.resize(count);
  for (uint32_t i = 0; i < count; ++i) {
    Entry& e = c->entries_[i];
    e.id = GetFixed(bytes.data() + pos, kIdBytes);
    e.name = GetFixed(bytes.data() + pos + kIdBytes, kNameBytes);
    pos += kIdBytes + kNameBytes;
    uint32_t reserved;
    Get(bytes, &pos, &e.polygons);
    Get(bytes, &pos, &reserved);
    Get(bytes, &pos, &e.offset);
    Get(bytes, &pos, &e.bytes);
    if (e.offset > payload_bytes || e.bytes > payload_bytes - e.offset)
      return corrupt("entry bounds");
    c->index_[e.id] = i;
  }
  c->bytes_ = std::move(bytes);
  return c;
}

absl::StatusOr<std::unique_ptr<BoundaryCatalogue>> BoundaryCatalogue::Open(
    const std::string& path) {
  // MappedFile refuses a FIFO or a device instead of blocking on it.
  ASSIGN_OR_RETURN(std::unique_ptr<MappedFile> file, MappedFile::Open(path));
  std::string bytes(file->view());
  RETURN_IF_ERROR(file->CheckIntact());
  auto catalogue = FromBytes(std::move(bytes));
  if (!catalogue.ok()) {
    return absl::Status(catalogue.status().code(),
                        absl::StrCat(path, ": ", catalogue.status().message()));
  }
  return catalogue;
}

absl::StatusOr<std::unique_ptr<BoundaryCatalogue>> BoundaryCatalogue::OpenDefault() {
  ASSIGN_OR_RETURN(std::string path, FindDataFile(kBoundaryCatalogueFile));
  return Open(path);
}

absl::StatusOr<const BoundaryCatalogue::Entry*> BoundaryCatalogue::Find(
    const BoundaryKey& key) const {
  auto it = index_.find(key.CatalogueId());
  if (it == index_.end()) {
    const char* what = key.kind == BoundaryKey::Kind::kCounty ? "county" : "state";
    return absl::InvalidArgumentError(
        absl::StrCat("unknown ", what, " FIPS code ", key.CatalogueId(),
                     " (not in the boundary catalogue of US states, counties and territories)"));
  }
  return &entries_[it->second];
}

std::string BoundaryCatalogue::Name(const BoundaryKey& key) const {
  auto it = index_.find(key.CatalogueId());
  return it == index_.end() ? "" : entries_[it->second].name;
}

absl::StatusOr<int> BoundaryCatalogue::PolygonCount(const BoundaryKey& key) const {
  ASSIGN_OR_RETURN(const Entry* e, Find(key));
  return static_cast<int>(e->polygons);
}

absl::Status BoundaryCatalogue::AddRegion(const BoundaryKey& key, AlertArea* area) const {
  ASSIGN_OR_RETURN(const Entry* e, Find(key));
  absl::string_view data(bytes_.data() + payload_start_ + e->offset, e->bytes);
  auto corrupt = [&]() {
    return absl::DataLossError(absl::StrCat("boundary catalogue: region ", e->id, " is corrupt"));
  };
  size_t pos = 0;
  for (uint32_t p = 0; p < e->polygons; ++p) {
    uint32_t ring_count;
    if (!Get(data, &pos, &ring_count) || ring_count > data.size()) return corrupt();
    std::vector<LatLngRing> rings(ring_count);
    for (LatLngRing& ring : rings) {
      uint32_t n;
      if (!Get(data, &pos, &n) || n > (data.size() - pos) / 8) return corrupt();
      ring.resize(n);
      for (S2LatLng& v : ring) {
        int32_t lat = 0, lng = 0;
        Get(data, &pos, &lat);
        Get(data, &pos, &lng);
        v = S2LatLng::FromE6(lat, lng);
      }
    }
    auto polygon = BuildPolygon(rings, EdgeModel::kPlanar);
    if (!polygon.ok()) polygon = BuildWithRepairs(rings);
    if (!polygon.ok()) {
      return absl::DataLossError(absl::StrCat("boundary catalogue: region ", e->id, " polygon ", p,
                                              ": ", polygon.status().message()));
    }
    area->AddPolygon(*std::move(polygon));
  }
  return absl::OkStatus();
}

}  // namespace fanout
