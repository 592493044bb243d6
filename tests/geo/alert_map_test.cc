// Copyright 2026 The fan-out engine authors.
//
// The operator map (geo/alert_map.h): its SVG is well-formed XML with one
// element per covering cell and area part and the counts in its legend; it
// renders (rsvg-convert, when installed) to a PNG that is not blank; the
// covering's GeoJSON has one feature per cell and covers every matched
// user, antimeridian and pole included.

#include "geo/alert_map.h"

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "geo/area_covering.h"
#include "geo/polygon_builder.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "pugixml.hpp"
#include "s2/s1angle.h"
#include "s2/s2cap.h"
#include "s2/s2cell_id.h"
#include "s2/s2cell_union.h"
#include "s2/s2latlng.h"
#include "s2/s2polygon.h"
#include "tests/support/test_support.h"

#ifdef FANOUT_TEST_HAVE_ZLIB
#include <zlib.h>
#endif

namespace fanout {
namespace {

using ::fanout::testing::TempDir;

S2LatLng Deg(double lat, double lng) { return S2LatLng::FromDegrees(lat, lng); }

// A polygon (with a hole) and a circle near Houston, finalized.
std::unique_ptr<AlertArea> HoustonArea() {
  auto area = std::make_unique<AlertArea>();
  LatLngRing shell = {Deg(29.5, -95.8), Deg(29.5, -95.0), Deg(30.1, -95.0), Deg(30.1, -95.8),
                      Deg(29.5, -95.8)};
  LatLngRing hole = {Deg(29.7, -95.5), Deg(29.7, -95.3), Deg(29.9, -95.3), Deg(29.9, -95.5),
                     Deg(29.7, -95.5)};
  auto polygon = BuildPolygon({shell, hole}, EdgeModel::kPlanar);
  EXPECT_TRUE(polygon.ok()) << polygon.status();
  area->AddPolygon(std::move(*polygon));
  area->AddCap(S2Cap(Deg(29.3, -94.8).ToPoint(), S1Angle::Degrees(0.1)));
  area->Finalize();
  return area;
}

// Leaf cells of `n` random points of the area's bounding rectangle that
// the area contains.
std::vector<uint64_t> MatchedCells(const AlertArea& area, int n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  const S2LatLngRect rect = area.GetRectBound();
  std::uniform_real_distribution<double> lat(rect.lat_lo().degrees(), rect.lat_hi().degrees());
  std::uniform_real_distribution<double> t(0, 1);
  std::vector<uint64_t> cells;
  while (static_cast<int>(cells.size()) < n) {
    const double lo = rect.lng_lo().degrees();
    double span = rect.lng_hi().degrees() - lo;
    if (span < 0) span += 360;
    const S2CellId id(S2LatLng::FromDegrees(lat(rng), lo + t(rng) * span).Normalized());
    if (area.Contains(id.ToPoint())) cells.push_back(id.id());
  }
  return cells;
}

int ChildCount(const pugi::xml_node& g, const char* name) {
  int n = 0;
  for (pugi::xml_node c = g.child(name); c; c = c.next_sibling(name)) ++n;
  return n;
}

pugi::xml_node Layer(const pugi::xml_document& doc, const char* id) {
  return doc.child("svg").find_child_by_attribute("g", "id", id);
}

std::string AllText(const pugi::xml_node& node) {
  std::string text;
  for (const pugi::xpath_node& t : node.select_nodes(".//text")) {
    absl::StrAppend(&text, t.node().child_value(), "\n");
  }
  return text;
}

TEST(AlertMapTest, SvgHasOneElementPerCellAndPartAndTheCounts) {
  auto area = HoustonArea();
  const AreaCovering covering = CoverArea(*area, {});
  const std::vector<uint64_t> cells = MatchedCells(*area, 1234, 1);
  auto states = LoadStateOutlines();
  ASSERT_TRUE(states.ok()) << states.status();
  EXPECT_EQ(states->size(), 56u);

  AlertMapInput in;
  in.area = area.get();
  in.covering = &covering;
  in.matched_cells = {absl::MakeConstSpan(cells).subspan(0, 1000),
                      absl::MakeConstSpan(cells).subspan(1000)};
  in.outlines = &*states;
  in.title = "Flash flood <warning> & \"test\"";
  in.notes = {"bad byte \xff here"};
  auto svg = RenderAlertMapSvg(in);
  ASSERT_TRUE(svg.ok()) << svg.status();

  pugi::xml_document doc;
  const pugi::xml_parse_result parsed = doc.load_string(svg->c_str());
  ASSERT_TRUE(parsed) << parsed.description() << " at " << parsed.offset;
  const pugi::xml_node root = doc.child("svg");
  ASSERT_TRUE(root);
  EXPECT_EQ(root.attribute("data-matched").as_ullong(), 1234u);
  EXPECT_EQ(root.attribute("data-interior-cells").as_int(), covering.interior.num_cells());
  EXPECT_EQ(root.attribute("data-boundary-cells").as_int(), covering.boundary.num_cells());
  EXPECT_GT(covering.interior.num_cells(), 0);
  EXPECT_EQ(ChildCount(Layer(doc, "covering-interior"), "path"), covering.interior.num_cells());
  EXPECT_EQ(ChildCount(Layer(doc, "covering-boundary"), "path"), covering.boundary.num_cells());
  EXPECT_EQ(ChildCount(Layer(doc, "area"), "path"), 2);  // the polygon and the circle
  // Texas at least (its neighbours may be in view too), never all 56.
  const int outlines = ChildCount(Layer(doc, "outlines"), "path");
  EXPECT_GE(outlines, 1);
  EXPECT_LT(outlines, 56);
  EXPECT_TRUE(Layer(doc, "outlines").find_child_by_attribute("path", "data-name", "Texas"));
  EXPECT_GT(ChildCount(Layer(doc, "density"), "rect"), 10);
  EXPECT_TRUE(Layer(doc, "graticule"));
  const std::string legend = AllText(Layer(doc, "legend"));
  EXPECT_NE(legend.find("Matched users: 1,234"), std::string::npos) << legend;
  EXPECT_NE(legend.find(absl::StrCat("Interior cells: ", covering.interior.num_cells())),
            std::string::npos)
      << legend;
  EXPECT_NE(legend.find(absl::StrCat("Boundary cells: ", covering.boundary.num_cells())),
            std::string::npos)
      << legend;
  EXPECT_NE(legend.find("Flash flood <warning> & \"test\""), std::string::npos) << legend;
  EXPECT_FALSE(Layer(doc, "incident"));

  // Nearest-first delivery: the incident point is marked and named.
  in.incident = Deg(29.76, -95.37);
  svg = RenderAlertMapSvg(in);
  ASSERT_TRUE(svg.ok());
  pugi::xml_document marked;
  ASSERT_TRUE(marked.load_string(svg->c_str()));
  EXPECT_TRUE(Layer(marked, "incident").child("circle"));
  EXPECT_NE(AllText(Layer(marked, "legend")).find("Nearest first from 29.7600, -95.3700"),
            std::string::npos);
}

TEST(AlertMapTest, RefusesAMissingAreaAndBadOptions) {
  AlertMapInput in;
  EXPECT_EQ(RenderAlertMapSvg(in).status().code(), absl::StatusCode::kInvalidArgument);
  auto area = HoustonArea();
  in.area = area.get();
  AlertMapOptions o;
  o.density_bin_px = 1;
  EXPECT_EQ(RenderAlertMapSvg(in, o).status().code(), absl::StatusCode::kInvalidArgument);
  // Without covering, users or outlines it is still a map.
  auto svg = RenderAlertMapSvg(in);
  ASSERT_TRUE(svg.ok()) << svg.status();
  pugi::xml_document doc;
  ASSERT_TRUE(doc.load_string(svg->c_str()));
  EXPECT_FALSE(Layer(doc, "covering-interior"));
  EXPECT_EQ(ChildCount(Layer(doc, "density"), "rect"), 0);
}

// An area across the antimeridian is drawn in one piece: its outline's x
// coordinates stay within the plot, not spread over the whole width.
TEST(AlertMapTest, AntimeridianAreaIsDrawnInOnePiece) {
  AlertArea area;
  LatLngRing ring = {Deg(51, 179), Deg(51, -179), Deg(53, -179), Deg(53, 179), Deg(51, 179)};
  auto polygon = BuildPolygon({ring}, EdgeModel::kPlanar);
  ASSERT_TRUE(polygon.ok());
  area.AddPolygon(std::move(*polygon));
  area.Finalize();
  AlertMapInput in;
  in.area = &area;
  auto svg = RenderAlertMapSvg(in);
  ASSERT_TRUE(svg.ok()) << svg.status();
  pugi::xml_document doc;
  ASSERT_TRUE(doc.load_string(svg->c_str()));
  const std::string d = Layer(doc, "area").child("path").attribute("d").value();
  // Parse the x coordinates ("M x,y L x,y x,y ... Z").
  double lo = 1e9, hi = -1e9;
  const char* p = d.c_str();
  while (*p != '\0') {
    if (*p == 'M' || *p == 'L' || *p == ' ') {
      ++p;
      double x = std::strtod(p, nullptr);
      lo = std::min(lo, x);
      hi = std::max(hi, x);
    }
    ++p;
  }
  // The box is 2 degrees wide, drawn with a 20% margin each side, in the
  // middle of the plot; cut at +-180 it would reach both sides of the
  // 900 px plot.
  EXPECT_GT(hi - lo, 100);
  EXPECT_LT(hi - lo, 450);
}

#ifdef FANOUT_TEST_HAVE_ZLIB
// Decodes an 8-bit RGB or RGBA, non-interlaced PNG (what rsvg-convert
// writes) into RGB pixels.
bool DecodePng(const std::string& bytes, int* width, int* height, std::vector<uint32_t>* rgb) {
  if (bytes.size() < 8 || bytes.compare(0, 8, "\x89PNG\r\n\x1a\n") != 0) return false;
  auto be32 = [&](size_t at) {
    return (uint32_t{uint8_t(bytes[at])} << 24) | (uint32_t{uint8_t(bytes[at + 1])} << 16) |
           (uint32_t{uint8_t(bytes[at + 2])} << 8) | uint32_t{uint8_t(bytes[at + 3])};
  };
  size_t at = 8;
  int channels = 0;
  std::string idat;
  while (at + 8 <= bytes.size()) {
    const uint32_t len = be32(at);
    const std::string type = bytes.substr(at + 4, 4);
    if (at + 12 + len > bytes.size()) return false;
    if (type == "IHDR") {
      *width = static_cast<int>(be32(at + 8));
      *height = static_cast<int>(be32(at + 12));
      const int depth = uint8_t(bytes[at + 16]), colour = uint8_t(bytes[at + 17]);
      const int interlace = uint8_t(bytes[at + 20]);
      if (depth != 8 || interlace != 0 || (colour != 2 && colour != 6)) return false;
      channels = colour == 6 ? 4 : 3;
    } else if (type == "IDAT") {
      idat.append(bytes, at + 8, len);
    }
    at += 12 + len;
  }
  if (channels == 0) return false;
  const size_t stride = static_cast<size_t>(*width) * channels;
  std::vector<uint8_t> raw((stride + 1) * *height);
  uLongf raw_len = raw.size();
  if (uncompress(raw.data(), &raw_len, reinterpret_cast<const Bytef*>(idat.data()), idat.size()) !=
          Z_OK ||
      raw_len != raw.size()) {
    return false;
  }
  std::vector<uint8_t> prev(stride, 0), cur(stride);
  rgb->clear();
  for (int y = 0; y < *height; ++y) {
    const uint8_t filter = raw[y * (stride + 1)];
    const uint8_t* line = &raw[y * (stride + 1) + 1];
    for (size_t i = 0; i < stride; ++i) {
      const int a = i >= size_t(channels) ? cur[i - channels] : 0;
      const int b = prev[i];
      const int c = i >= size_t(channels) ? prev[i - channels] : 0;
      int pred = 0;
      switch (filter) {
        case 0: pred = 0; break;
        case 1: pred = a; break;
        case 2: pred = b; break;
        case 3: pred = (a + b) / 2; break;
        case 4: {
          const int p = a + b - c, pa = std::abs(p - a), pb = std::abs(p - b), pc = std::abs(p - c);
          pred = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
          break;
        }
        default: return false;
      }
      cur[i] = static_cast<uint8_t>(line[i] + pred);
    }
    for (int x = 0; x < *width; ++x) {
      const uint8_t* px = &cur[x * channels];
      rgb->push_back((uint32_t{px[0]} << 16) | (uint32_t{px[1]} << 8) | px[2]);
    }
    std::swap(prev, cur);
  }
  return true;
}
#endif

TEST(AlertMapTest, RendersToANonTrivialPng) {
  if (std::system("command -v rsvg-convert >/dev/null 2>&1") != 0) {
    GTEST_SKIP() << "rsvg-convert is not installed (Debian: librsvg2-bin)";
  }
  auto area = HoustonArea();
  const AreaCovering covering = CoverArea(*area, {});
  const std::vector<uint64_t> cells = MatchedCells(*area, 5000, 2);
  auto states = LoadStateOutlines();
  ASSERT_TRUE(states.ok()) << states.status();
  AlertMapInput in;
  in.area = area.get();
  in.covering = &covering;
  in.matched_cells = {cells};
  in.outlines = &*states;
  in.title = "Test alert";
  auto svg = RenderAlertMapSvg(in);
  ASSERT_TRUE(svg.ok()) << svg.status();
  TempDir dir;
  testing::WriteFileOrDie(dir.File("map.svg"), *svg);
  const std::string command =
      absl::StrCat("rsvg-convert '", dir.File("map.svg"), "' -o '", dir.File("map.png"), "'");
  ASSERT_EQ(std::system(command.c_str()), 0) << command;
  const std::string png = testing::ReadFileOrEmpty(dir.File("map.png"));
  EXPECT_GT(png.size(), 20000u);  // a blank 1200 x 700 PNG is a few kB
#ifdef FANOUT_TEST_HAVE_ZLIB
  int width = 0, height = 0;
  std::vector<uint32_t> pixels;
  ASSERT_TRUE(DecodePng(png, &width, &height, &pixels));
  EXPECT_GE(width, 900);
  EXPECT_GE(height, 360);
  std::set<uint32_t> colours(pixels.begin(), pixels.end());
  EXPECT_GT(colours.size(), 20u);
  // The plot is mostly not white: background, cells, users.
  size_t white = 0;
  for (uint32_t p : pixels) white += p == 0xFFFFFF;
  EXPECT_LT(white, pixels.size() * 6 / 10);
  // Each layer's colour shows somewhere (anti-aliasing aside): a purple of
  // the density ramp, the area's blue, and a tint of the green and orange
  // cells over the plot background.
  auto near = [&](uint32_t want, int tol) {
    for (uint32_t p : colours) {
      const int dr = int(p >> 16) - int(want >> 16), dg = int((p >> 8) & 255) - int((want >> 8) & 255),
                db = int(p & 255) - int(want & 255);
      if (std::abs(dr) <= tol && std::abs(dg) <= tol && std::abs(db) <= tol) return true;
    }
    return false;
  };
  EXPECT_TRUE(near(0x1f4e9c, 12)) << "the area's outline";
  EXPECT_TRUE(near(0x7a0177, 40) || near(0xae017e, 40)) << "dense users";
#endif
}

// The union of the GeoJSON's cells is the covering, and so holds every
// matched user; each cell's polygon holds its centre. Here for an area
// across the antimeridian, whose cells there are split (MultiPolygon).
TEST(AlertMapTest, CoveringGeoJsonCoversEveryMatchedUser) {
  for (const auto& ring :
       {LatLngRing{Deg(29.5, -95.8), Deg(29.5, -95.0), Deg(30.1, -95.0), Deg(30.1, -95.8),
                   Deg(29.5, -95.8)},
        LatLngRing{Deg(-20, 175), Deg(-20, -170), Deg(-10, -170), Deg(-10, 175), Deg(-20, 175)}}) {
    AlertArea area;
    auto polygon = BuildPolygon({ring}, EdgeModel::kPlanar);
    ASSERT_TRUE(polygon.ok());
    area.AddPolygon(std::move(*polygon));
    area.Finalize();
    const AreaCovering covering = CoverArea(area, {});
    const std::string text = CoveringToGeoJson(covering);
    const nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
    ASSERT_FALSE(j.is_discarded()) << text.substr(0, 300);
    ASSERT_EQ(j["type"], "FeatureCollection");
    std::vector<S2CellId> ids;
    int interior = 0, boundary = 0, multi = 0;
    for (const auto& f : j["features"]) {
      const S2CellId id = S2CellId::FromToken(f["properties"]["token"].get<std::string>());
      ASSERT_TRUE(id.is_valid());
      EXPECT_EQ(f["properties"]["level"].get<int>(), id.level());
      (f["properties"]["kind"] == "interior" ? interior : boundary)++;
      ids.push_back(id);
      const auto& g = f["geometry"];
      multi += g["type"] == "MultiPolygon";
      // Every position in range, every ring closed.
      const auto polygons = g["type"] == "Polygon" ? nlohmann::json::array({g["coordinates"]})
                                                   : g["coordinates"];
      for (const auto& poly : polygons) {
        for (const auto& r : poly) {
          ASSERT_GE(r.size(), 4u);
          EXPECT_EQ(r.front(), r.back());
          for (const auto& pos : r) {
            EXPECT_LE(std::abs(pos[0].get<double>()), 180.0);
            EXPECT_LE(std::abs(pos[1].get<double>()), 90.0);
          }
        }
      }
    }
    EXPECT_EQ(interior, covering.interior.num_cells());
    EXPECT_EQ(boundary, covering.boundary.num_cells());
    EXPECT_EQ(multi, 0) << "S2 cell edges run along the antimeridian below level 0";
    S2CellUnion all(ids);
    for (uint64_t cell : MatchedCells(area, 2000, 3)) {
      EXPECT_TRUE(all.Contains(S2CellId(cell))) << S2CellId(cell).ToString();
    }
  }
}

// Level-0 cells: face 3 straddles the antimeridian (split in two), face 2
// holds the north pole (closed along it). Every position is in range and
// the pieces' longitudes span what the face does.
TEST(AlertMapTest, CoveringGeoJsonSplitsAFaceAtTheAntimeridian) {
  AreaCovering covering;
  covering.boundary = S2CellUnion({S2CellId::FromFace(2), S2CellId::FromFace(3)});
  const nlohmann::json j = nlohmann::json::parse(CoveringToGeoJson(covering), nullptr, false);
  ASSERT_FALSE(j.is_discarded());
  ASSERT_EQ(j["features"].size(), 2u);
  const auto& pole = j["features"][0]["geometry"];
  const auto& face3 = j["features"][1]["geometry"];
  EXPECT_EQ(face3["type"], "MultiPolygon");
  ASSERT_EQ(face3["coordinates"].size(), 2u);
  double lo = 0, hi = 0, top = -90;
  for (const auto& poly : face3["coordinates"]) {
    for (const auto& pos : poly[0]) {
      const double lng = pos[0].get<double>();
      EXPECT_LE(std::abs(lng), 180.0);
      if (lng > 0) lo = lo == 0 ? lng : std::min(lo, lng);
      if (lng < 0) hi = hi == 0 ? lng : std::max(hi, lng);
    }
  }
  EXPECT_NEAR(lo, 135, 1e-6);  // face 3 spans longitudes 135E .. 135W
  EXPECT_NEAR(hi, -135, 1e-6);
  const auto rings = pole["type"] == "Polygon" ? nlohmann::json::array({pole["coordinates"]})
                                               : pole["coordinates"];
  for (const auto& poly : rings) {
    for (const auto& pos : poly[0]) {
      EXPECT_LE(std::abs(pos[0].get<double>()), 180.0);
      top = std::max(top, pos[1].get<double>());
    }
  }
  EXPECT_EQ(top, 90.0) << "the polar face is closed along the pole";
}

}  // namespace
}  // namespace fanout
