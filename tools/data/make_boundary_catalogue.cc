// Copyright 2026 The fan-out engine authors.
//
// make_boundary_catalogue DATA_DIR: rebuilds DATA_DIR/boundaries/us-boundaries.fobc
// from the GeoJSON boundaries next to it (see geo/boundary_catalogue.h and
// data/README.md). Deterministic; tests check the committed file is current.

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include "geo/boundary_catalogue.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_boundary_catalogue DATA_DIR\n");
    return 2;
  }
  std::string dir = std::string(argv[1]) + "/boundaries/";
  auto read = [&](const char* name, std::string* out) {
    std::ifstream in(dir + name, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    *out = s.str();
    return static_cast<bool>(in);
  };
  std::string counties, states, nation;
  if (!read("us-counties.geojson", &counties) || !read("us-states.geojson", &states) ||
      !read("us-nation.geojson", &nation)) {
    std::fprintf(stderr, "make_boundary_catalogue: cannot read the GeoJSON files in %s\n",
                 dir.c_str());
    return 1;
  }
  auto bytes = fanout::BuildBoundaryCatalogue(counties, states, nation);
  if (!bytes.ok()) {
    std::fprintf(stderr, "make_boundary_catalogue: %s\n",
                 std::string(bytes.status().message()).c_str());
    return 1;
  }
  std::string out_path = dir + "us-boundaries.fobc";
  std::string tmp = out_path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out.write(bytes->data(), static_cast<std::streamsize>(bytes->size()));
    if (!out) {
      std::fprintf(stderr, "make_boundary_catalogue: cannot write %s\n", tmp.c_str());
      return 1;
    }
  }
  if (std::rename(tmp.c_str(), out_path.c_str()) != 0) return 1;
  std::printf("wrote %s (%zu bytes)\n", out_path.c_str(), bytes->size());
  return 0;
}
