// Copyright 2026 The fan-out engine authors.

#ifndef FANOUT_GEO_BOUNDARY_CATALOGUE_H_
#define FANOUT_GEO_BOUNDARY_CATALOGUE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "geo/alert_area.h"
#include "geo/geocode.h"

namespace fanout {

// The US boundaries that geocodes (SAME, FIPS, UGC) resolve to: the nation,
// 56 states and territories, 3,231 counties (data/README.md). Held in a
// compact file, data/boundaries/us-boundaries.fobc, made once from the
// GeoJSON files by BuildBoundaryCatalogue (tool: make_boundary_catalogue),
// so that an alert opens it in about a millisecond instead of parsing 2.7 MB
// of JSON.
//
// File format (little-endian), version 1:
//   header   "FOBNDCAT" | u32 version | u32 entries | u64 XXH64 of the rest
//   entries  per region, sorted by id: char id[8] | char name[48] |
//            u32 polygons | u32 reserved | u64 offset | u64 bytes
//            (offset from the start of the payload, after the entries)
//   payload  per polygon: u32 rings, per ring: u32 n, n x (i32 lat, i32 lng)
//            in microdegrees (the GeoJSON has at most 6 decimals, so exact)
// A region may have no polygon (Falls Church, 51610, collapses at this
// scale): it is known, and contains nobody.
//
// Thread-safety: const methods are safe from many threads.
//
// Typical usage:
//   ASSIGN_OR_RETURN(auto catalogue, BoundaryCatalogue::OpenDefault());
//   AlertArea area;
//   RETURN_IF_ERROR(catalogue->AddRegion(key, &area));
class BoundaryCatalogue {
 public:
  // Reads and verifies a catalogue file; kDataLoss when corrupt.
  static absl::StatusOr<std::unique_ptr<BoundaryCatalogue>> Open(const std::string& path);
  // Opens data/boundaries/us-boundaries.fobc (see base/data_dir.h).
  static absl::StatusOr<std::unique_ptr<BoundaryCatalogue>> OpenDefault();
  // Parses catalogue bytes (as written by BuildBoundaryCatalogue).
  static absl::StatusOr<std::unique_ptr<BoundaryCatalogue>> FromBytes(std::string bytes);

  size_t size() const { return entries_.size(); }
  bool Has(const BoundaryKey& key) const { return index_.count(key.CatalogueId()) > 0; }
  // "Harris, Texas", "Texas", "United States"; "" when unknown.
  std::string Name(const BoundaryKey& key) const;

  // Adds the region's polygons (planar edges, as the source data is drawn)
  // to `area`. An unknown code is kInvalidArgument naming it.
  absl::Status AddRegion(const BoundaryKey& key, AlertArea* area) const;
  // Number of polygons of the region (0 for a known region with no area).
  absl::StatusOr<int> PolygonCount(const BoundaryKey& key) const;

 private:
  struct Entry {
    std::string id;
    std::string name;
    uint32_t polygons = 0;
    uint64_t offset = 0;
    uint64_t bytes = 0;
  };
  BoundaryCatalogue() = default;
  absl::StatusOr<const Entry*> Find(const BoundaryKey& key) const;

  std::string bytes_;
  size_t payload_start_ = 0;
  std::vector<Entry> entries_;
  std::unordered_map<std::string, size_t> index_;
};

// Builds the catalogue bytes from the three GeoJSON files of
// data/boundaries (us-counties, us-states, us-nation). Deterministic: the
// same input gives the same bytes.
absl::StatusOr<std::string> BuildBoundaryCatalogue(absl::string_view counties_geojson,
                                                   absl::string_view states_geojson,
                                                   absl::string_view nation_geojson);

inline constexpr char kBoundaryCatalogueFile[] = "boundaries/us-boundaries.fobc";

}  // namespace fanout

#endif  // FANOUT_GEO_BOUNDARY_CATALOGUE_H_
