// Copyright 2026 The fan-out engine authors.

#include "geo/alert_map.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <memory>
#include <sstream>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "base/data_dir.h"
#include "base/status_macros.h"
#include "base/utf8.h"
#include "nlohmann/json.hpp"
#include "s2/s1angle.h"
#include "s2/s2cap.h"
#include "s2/s2cell.h"
#include "s2/s2cell_id.h"
#include "s2/s2latlng_rect.h"
#include "s2/s2loop.h"
#include "s2/s2polygon.h"

namespace fanout {
namespace {

constexpr double kKmPerDegree = 6371.01 * M_PI / 180.0;

// Colours: the covering in green (interior) and orange (boundary), the
// area in blue, the density in a light-to-dark purple ramp (a hue of its
// own, so that it never reads as part of the covering).
constexpr char kAreaColour[] = "#1f4e9c";
constexpr char kInteriorColour[] = "#31a354";
constexpr char kBoundaryColour[] = "#e6550d";
constexpr const char* kDensityRamp[] = {"#fcc5c0", "#fa9fb5", "#f768a1",
                                        "#dd3497", "#ae017e", "#7a0177"};
constexpr int kDensityClasses = 6;
// The plot's top left corner: room for the graticule's labels.
constexpr int kLeft = 56, kTop = 24, kBottom = 30;

// A longitude relative to `center`, in [-180, 180].
double Rel(double lng, double center) { return std::remainder(lng - center, 360.0); }

struct Pt {
  double x, y;  // longitude relative to the map's centre (unwrapped), latitude
};

// A ring with its longitudes unwrapped: consecutive vertices never jump by
// more than 180 degrees, so a ring across the antimeridian stays in one
// piece. A ring around a pole comes back 360 degrees east or west of where
// it started: `pole` is +1 (its inside is to the north, S2's rule: inside
// on the left) or -1, and the ring is closed along that pole.
struct Ring {
  std::vector<Pt> pts;
  int pole = 0;
  double min_x = 0, max_x = 0;
};

Ring Unwrap(const std::vector<S2LatLng>& lls, double center) {
  Ring ring;
  if (lls.empty()) return ring;
  ring.pts.reserve(lls.size() + 3);
  double x = Rel(lls[0].lng().degrees(), center);
  ring.pts.push_back({x, lls[0].lat().degrees()});
  for (size_t i = 1; i < lls.size(); ++i) {
    x += std::remainder(lls[i].lng().degrees() - lls[i - 1].lng().degrees(), 360.0);
    ring.pts.push_back({x, lls[i].lat().degrees()});
  }
  const double back =
      x + std::remainder(lls[0].lng().degrees() - lls.back().lng().degrees(), 360.0);
  const double net = back - ring.pts[0].x;
  if (std::fabs(net) > 180) {
    ring.pole = net > 0 ? 1 : -1;
    const double lat = 90.0 * ring.pole;
    ring.pts.push_back({back, ring.pts[0].y});
    ring.pts.push_back({back, lat});
    ring.pts.push_back({ring.pts[0].x, lat});
  }
  // Bring the ring's middle within [-180, 180] of the centre.
  double lo = ring.pts[0].x, hi = lo;
  for (const Pt& p : ring.pts) {
    lo = std::min(lo, p.x);
    hi = std::max(hi, p.x);
  }
  const double shift = 360.0 * std::round((lo + hi) / 2 / 360.0);
  for (Pt& p : ring.pts) p.x -= shift;
  ring.min_x = lo - shift;
  ring.max_x = hi - shift;
  return ring;
}

std::vector<S2LatLng> LoopLatLngs(const S2Loop& loop) {
  std::vector<S2LatLng> out;
  out.reserve(loop.num_vertices());
  for (int i = 0; i < loop.num_vertices(); ++i) out.emplace_back(loop.vertex(i));
  return out;
}

// The cell's boundary, its edges (great-circle arcs) subdivided where the
// cell is large enough for the difference to show.
std::vector<S2LatLng> CellLatLngs(S2CellId id) {
  const S2Cell cell(id);
  const int sub = id.level() < 6 ? 16 : id.level() < 10 ? 4 : 1;
  std::vector<S2LatLng> out;
  out.reserve(4 * sub);
  for (int e = 0; e < 4; ++e) {
    const S2Point a = cell.GetVertex(e), b = cell.GetVertex((e + 1) & 3);
    for (int t = 0; t < sub; ++t) {
      const double f = static_cast<double>(t) / sub;
      out.emplace_back(((1 - f) * a + f * b).Normalize());
    }
  }
  return out;
}

// Equirectangular projection of one map: x = (relative longitude) * k, y =
// latitude, both times `scale` pixels a degree; k is the cosine of the
// centre's latitude (at least 0.2, near the poles).
class Projection {
 public:
  Projection(const S2LatLngRect& rect, const S2Cap& cap, const AlertMapOptions& o) {
    double lat_lo = rect.lat_lo().degrees(), lat_hi = rect.lat_hi().degrees();
    double half;
    if (rect.lng().is_full()) {
      center_ = S2LatLng(cap.center()).lng().degrees();
      half = 180;
    } else {
      center_ = S1Angle::Radians(rect.lng().GetCenter()).degrees();
      half = S1Angle::Radians(rect.lng().GetLength()).degrees() / 2;
    }
    const double pad_lat = std::max(o.margin_fraction * (lat_hi - lat_lo), 0.05);
    const double pad_lng = std::max(o.margin_fraction * 2 * half, 0.05);
    half = std::min(half + pad_lng, 180.0);
    lat_lo = std::max(lat_lo - pad_lat, -90.0);
    lat_hi = std::min(lat_hi + pad_lat, 90.0);
    const double mid_lat = (lat_lo + lat_hi) / 2;
    k_ = std::max(std::cos(mid_lat * M_PI / 180), 0.2);
    const double data_w = 2 * half * k_, data_h = std::max(lat_hi - lat_lo, 1e-6);
    width_ = o.plot_width;
    height_ = static_cast<int>(std::clamp(width_ * data_h / data_w,
                                          static_cast<double>(o.min_plot_height),
                                          static_cast<double>(o.max_plot_height)));
    scale_ = std::min(width_ / data_w, height_ / data_h);
    // Grow the shorter extent so that the data fills the plot.
    x0_ = -width_ / (scale_ * k_) / 2;
    y1_ = mid_lat + height_ / scale_ / 2;
    mid_lat_ = mid_lat;
  }

  double X(double rel) const { return kLeft + (rel - x0_) * k_ * scale_; }
  double Y(double lat) const { return kTop + (y1_ - lat) * scale_; }
  double center() const { return center_; }
  double x_lo() const { return x0_; }
  double x_hi() const { return -x0_; }
  double lat_top() const { return y1_; }
  double lat_bottom() const { return y1_ - height_ / scale_; }
  double mid_lat() const { return mid_lat_; }
  int width() const { return width_; }
  int height() const { return height_; }
  double scale() const { return scale_; }  // pixels per degree of latitude

 private:
  double center_ = 0, k_ = 1, scale_ = 1, x0_ = 0, y1_ = 0, mid_lat_ = 0;
  int width_ = 0, height_ = 0;
};

// Appends the ring's SVG path data, once for each copy (shifted by a
// multiple of 360 degrees) that reaches the plot, dropping vertices closer
// than 0.4 px to the last one written.
void AppendRing(const Ring& ring, const Projection& p, std::string* d) {
  if (ring.pts.size() < 3) return;
  for (double shift : {0.0, -360.0, 360.0}) {
    if (ring.max_x + shift < p.x_lo() || ring.min_x + shift > p.x_hi()) continue;
    double last_x = 0, last_y = 0;
    size_t written = 0;
    for (size_t i = 0; i < ring.pts.size(); ++i) {
      const double x = p.X(ring.pts[i].x + shift), y = p.Y(ring.pts[i].y);
      if (written > 0 && i + 1 < ring.pts.size() && std::fabs(x - last_x) < 0.4 &&
          std::fabs(y - last_y) < 0.4) {
        continue;
      }
      absl::StrAppendFormat(d, "%s%.1f,%.1f", written == 0 ? "M" : written == 1 ? "L" : " ", x,
                            y);
      last_x = x;
      last_y = y;
      ++written;
    }
    d->append("Z");
  }
}

std::string XmlText(absl::string_view raw) {
  const std::string text = ToValidUtf8(raw);
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default:
        if (static_cast<unsigned char>(c) >= 0x20) out += c;
    }
  }
  return out;
}

// At most `max` characters (UTF-8 code points), with an ellipsis when cut.
std::string Cut(const std::string& text, size_t max) {
  size_t chars = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80 && chars++ == max) {
      return text.substr(0, i) + "\xE2\x80\xA6";
    }
  }
  return text;
}

std::string Thousands(uint64_t n) {
  std::string digits = absl::StrCat(n), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

std::string DegreeLabel(double v, bool lat) {
  const char* hemi = lat ? (v < 0 ? "S" : v > 0 ? "N" : "") : (v < 0 ? "W" : v > 0 ? "E" : "");
  const double a = std::fabs(v);
  const bool whole = std::fabs(a - std::round(a)) < 1e-9;
  return whole ? absl::StrFormat("%.0f\xC2\xB0%s", a, hemi)
               : absl::StrFormat("%g\xC2\xB0%s", a, hemi);
}

// A step (degrees) giving at most ~8 lines over `span`.
double GraticuleStep(double span) {
  for (double s : {0.01, 0.02, 0.05, 0.1, 0.2, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 15.0, 30.0}) {
    if (span / s <= 8) return s;
  }
  return 60;
}

void AppendGraticule(const Projection& p, std::string* svg) {
  const double lat_lo = std::max(p.lat_bottom(), -90.0), lat_hi = std::min(p.lat_top(), 90.0);
  // Each axis its own step, so that a wide, flat view still has parallels.
  const double lat_step = GraticuleStep(lat_hi - lat_lo);
  const double step = GraticuleStep((p.x_hi() - p.x_lo()) * 0.8);
  std::string lines, labels;
  for (double lat = std::ceil(lat_lo / lat_step) * lat_step; lat <= lat_hi + 1e-9;
       lat += lat_step) {
    const double y = p.Y(lat);
    absl::StrAppendFormat(&lines, "M%.1f,%.1fH%.1f", p.X(p.x_lo()), y, p.X(p.x_hi()));
    absl::StrAppendFormat(&labels,
                          "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n",
                          kLeft - 5.0, y + 4, DegreeLabel(lat, true));
  }
  const double lng_lo = p.center() + p.x_lo(), lng_hi = p.center() + p.x_hi();
  for (double lng = std::ceil(lng_lo / step) * step; lng <= lng_hi + 1e-9; lng += step) {
    const double x = p.X(lng - p.center());
    absl::StrAppendFormat(&lines, "M%.1f,%.1fV%.1f", x, p.Y(lat_hi), p.Y(lat_lo));
    absl::StrAppendFormat(&labels,
                          "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s</text>\n", x,
                          kTop + p.height() + 16.0, DegreeLabel(Rel(lng, 0), false));
  }
  absl::StrAppendFormat(svg,
                        "<g id=\"graticule\" fill=\"none\" stroke=\"#c9d3dc\" "
                        "stroke-width=\"0.6\" clip-path=\"url(#plot)\"><path d=\"%s\"/></g>\n",
                        lines);
  absl::StrAppend(svg, "<g id=\"graticule-labels\" font-size=\"10\" fill=\"#5b6770\">\n", labels,
                  "</g>\n");
}

// One <path> per cell, with its token.
void AppendCells(const S2CellUnion& cells, const Projection& p, const char* id,
                 const char* colour, std::string* svg) {
  absl::StrAppendFormat(svg,
                        "<g id=\"%s\" fill=\"%s\" fill-opacity=\"0.22\" stroke=\"%s\" "
                        "stroke-width=\"0.8\" stroke-opacity=\"0.9\" clip-path=\"url(#plot)\">\n",
                        id, colour, colour);
  for (S2CellId cell : cells) {
    std::string d;
    AppendRing(Unwrap(CellLatLngs(cell), p.center()), p, &d);
    if (d.empty()) d = "M0,0Z";  // a cell off the plot still counts as an element
    absl::StrAppendFormat(svg, "<path data-token=\"%s\" d=\"%s\"/>\n", cell.ToToken(), d);
  }
  svg->append("</g>\n");
}

struct Density {
  int bin = 1, nx = 0, ny = 0;
  std::vector<uint32_t> counts;
  uint32_t max = 0;
  uint64_t plotted = 0;
};

Density BinUsers(const AlertMapInput& in, const Projection& p, int bin) {
  Density d;
  d.bin = bin;
  d.nx = (p.width() + bin - 1) / bin;
  d.ny = (p.height() + bin - 1) / bin;
  d.counts.assign(static_cast<size_t>(d.nx) * d.ny, 0);
  for (absl::Span<const uint64_t> span : in.matched_cells) {
    for (uint64_t c : span) {
      const S2LatLng ll = S2CellId(c).ToLatLng();
      const double x = p.X(Rel(ll.lng().degrees(), p.center())) - kLeft;
      const double y = p.Y(ll.lat().degrees()) - kTop;
      if (x < 0 || y < 0 || x >= p.width() || y >= p.height()) continue;
      uint32_t& n = d.counts[static_cast<size_t>(y / bin) * d.nx + static_cast<size_t>(x / bin)];
      d.max = std::max(d.max, ++n);
      ++d.plotted;
    }
  }
  return d;
}

// Class of a count on a log scale: 0 .. kDensityClasses-1.
int DensityClass(uint32_t n, uint32_t max) {
  if (max <= 1) return kDensityClasses - 1;
  const double t = std::log(static_cast<double>(n)) / std::log(static_cast<double>(max));
  return std::min(kDensityClasses - 1, static_cast<int>(t * kDensityClasses));
}

// The lowest count of class k.
uint32_t DensityClassFloor(int k, uint32_t max) {
  if (max <= 1) return 1;
  return static_cast<uint32_t>(std::ceil(std::pow(max, static_cast<double>(k) / kDensityClasses)));
}

void AppendDensity(const Density& d, std::string* svg) {
  svg->append("<g id=\"density\" fill-opacity=\"0.85\" clip-path=\"url(#plot)\">\n");
  // Runs of equal class along a row are one rectangle.
  for (int row = 0; row < d.ny; ++row) {
    int col = 0;
    while (col < d.nx) {
      const uint32_t n = d.counts[static_cast<size_t>(row) * d.nx + col];
      if (n == 0) {
        ++col;
        continue;
      }
      const int cls = DensityClass(n, d.max);
      int end = col + 1;
      while (end < d.nx) {
        const uint32_t m = d.counts[static_cast<size_t>(row) * d.nx + end];
        if (m == 0 || DensityClass(m, d.max) != cls) break;
        ++end;
      }
      absl::StrAppendFormat(svg, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\"/>\n",
                            kLeft + col * d.bin, kTop + row * d.bin, (end - col) * d.bin, d.bin,
                            kDensityRamp[cls]);
      col = end;
    }
  }
  svg->append("</g>\n");
}

void AppendArea(const AlertArea& area, const Projection& p, std::string* svg) {
  absl::StrAppendFormat(svg,
                        "<g id=\"area\" fill=\"%s\" fill-opacity=\"0.06\" fill-rule=\"evenodd\" "
                        "stroke=\"%s\" stroke-width=\"2\" stroke-linejoin=\"round\" "
                        "clip-path=\"url(#plot)\">\n",
                        kAreaColour, kAreaColour);
  for (int i = 0; i < area.num_polygons(); ++i) {
    const S2Polygon& polygon = area.polygon(i);
    std::string d;
    for (int j = 0; j < polygon.num_loops(); ++j) {
      AppendRing(Unwrap(LoopLatLngs(*polygon.loop(j)), p.center()), p, &d);
    }
    if (!d.empty()) absl::StrAppendFormat(svg, "<path class=\"polygon\" d=\"%s\"/>\n", d);
  }
  for (int i = 0; i < area.num_caps(); ++i) {
    const S2Cap& cap = area.cap(i);
    if (cap.is_empty()) continue;
    std::string d;
    if (cap.is_full()) {
      absl::StrAppendFormat(&d, "M%.1f,%.1fH%.1fV%.1fH%.1fZ", p.X(p.x_lo()), p.Y(90),
                            p.X(p.x_hi()), p.Y(-90), p.X(p.x_lo()));
    } else {
      auto loop = S2Loop::MakeRegularLoop(cap.center(), cap.GetRadius(), 256);
      AppendRing(Unwrap(LoopLatLngs(*loop), p.center()), p, &d);
    }
    absl::StrAppendFormat(svg, "<path class=\"circle\" d=\"%s\"/>\n", d);
  }
  svg->append("</g>\n");
}

void AppendOutlines(const std::vector<MapOutline>& outlines, const Projection& p,
                    std::string* svg) {
  svg->append(
      "<g id=\"outlines\" fill=\"#fbfaf6\" stroke=\"#8f8f8f\" stroke-width=\"0.7\" "
      "fill-rule=\"evenodd\" clip-path=\"url(#plot)\">\n");
  for (const MapOutline& o : outlines) {
    std::string d;
    for (const auto& ring : o.rings) {
      Ring r = Unwrap(ring, p.center());
      if (r.pole != 0) continue;  // outlines are never drawn around a pole
      double lo = 90, hi = -90;
      for (const Pt& pt : r.pts) {
        lo = std::min(lo, pt.y);
        hi = std::max(hi, pt.y);
      }
      if (hi < p.lat_bottom() || lo > p.lat_top()) continue;
      AppendRing(r, p, &d);
    }
    if (!d.empty()) {
      absl::StrAppendFormat(svg, "<path data-name=\"%s\" d=\"%s\"/>\n", XmlText(o.name), d);
    }
  }
  svg->append("</g>\n");
}

// A round distance (km) drawn as at most `max_px` pixels.
void AppendScaleBar(const Projection& p, double x, double y, std::string* svg) {
  const double km_per_px = kKmPerDegree / p.scale();
  double km = 1e-3;
  for (double decade = 1e-3; decade < 1e5; decade *= 10) {
    for (double m : {1.0, 2.0, 5.0}) {
      if (m * decade / km_per_px <= 160) km = m * decade;
    }
  }
  const double px = km / km_per_px;
  absl::StrAppendFormat(svg,
                        "<g id=\"scale-bar\"><path d=\"M%.1f,%.1fv6h%.1fv-6\" fill=\"none\" "
                        "stroke=\"#333\" stroke-width=\"1.5\"/>"
                        "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\">%s km</text></g>\n",
                        x, y, px, x + px + 6, y + 7, km >= 1 ? absl::StrFormat("%g", km)
                                                             : absl::StrFormat("%.3g", km));
}

void AppendLegend(const AlertMapInput& in, const Projection& p, const Density& density,
                  const AlertMapOptions& o, std::string* svg) {
  const double x = kLeft + p.width() + 20;
  double y = kTop + 4;
  svg->append("<g id=\"legend\" font-family=\"sans-serif\" fill=\"#222\">\n");
  auto line = [&](const std::string& text, int size, bool bold, double advance) {
    y += advance;
    absl::StrAppendFormat(svg, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"%d\"%s>%s</text>\n", x, y,
                          size, bold ? " font-weight=\"bold\"" : "", XmlText(Cut(text, 44)));
  };
  line(in.title.empty() ? "Alert map" : in.title, 14, true, 10);
  for (const std::string& note : in.notes) line(note, 10, false, 15);
  y += 10;
  uint64_t matched = 0;
  for (auto span : in.matched_cells) matched += span.size();
  line(absl::StrCat("Matched users: ", Thousands(matched)), 13, true, 18);
  if (in.index_users > 0) line(absl::StrCat("of ", Thousands(in.index_users), " in the index"), 10, false, 14);

  auto swatch = [&](const std::string& attrs, const std::string& text) {
    y += 22;
    absl::StrAppendFormat(svg, "<rect x=\"%.1f\" y=\"%.1f\" width=\"22\" height=\"14\" %s/>\n", x,
                          y - 11, attrs);
    absl::StrAppendFormat(svg, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\">%s</text>\n", x + 30,
                          y, XmlText(text));
  };
  const AlertArea& area = *in.area;
  std::string parts;
  if (area.num_polygons() > 0) absl::StrAppend(&parts, area.num_polygons(), " polygon", area.num_polygons() > 1 ? "s" : "");
  if (area.num_caps() > 0) {
    absl::StrAppend(&parts, parts.empty() ? "" : ", ", area.num_caps(), " circle", area.num_caps() > 1 ? "s" : "");
  }
  y += 6;
  swatch(absl::StrFormat("fill=\"%s\" fill-opacity=\"0.06\" stroke=\"%s\" stroke-width=\"2\"",
                         kAreaColour, kAreaColour),
         absl::StrCat("Alert area (", parts, ")"));
  if (in.covering != nullptr) {
    swatch(absl::StrFormat("fill=\"%s\" fill-opacity=\"0.22\" stroke=\"%s\"", kInteriorColour,
                           kInteriorColour),
           absl::StrCat("Interior cells: ", Thousands(in.covering->interior.num_cells()),
                        " (no test)"));
    swatch(absl::StrFormat("fill=\"%s\" fill-opacity=\"0.22\" stroke=\"%s\"", kBoundaryColour,
                           kBoundaryColour),
           absl::StrCat("Boundary cells: ", Thousands(in.covering->boundary.num_cells()),
                        " (tested)"));
  } else {
    line("(covering not drawn)", 10, false, 18);
  }
  if (in.outlines != nullptr) {
    swatch("fill=\"#fbfaf6\" stroke=\"#8f8f8f\"", "State outlines (data/, 1:10m)");
  }
  if (in.incident.has_value()) {
    swatch("fill=\"#ffd400\" stroke=\"#111\" rx=\"7\"",
           absl::StrFormat("Nearest first from %.4f, %.4f",
                           in.incident->lat().degrees(), in.incident->lng().degrees()));
  }
  // The density scale: one box per class, labelled with its lowest count.
  y += 30;
  const double bin_km = o.density_bin_px * kKmPerDegree / p.scale();
  absl::StrAppendFormat(svg, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\">%s</text>\n", x, y,
                        XmlText(absl::StrFormat("Matched users per %d px square (%s km)",
                                                o.density_bin_px,
                                                bin_km >= 10 ? absl::StrFormat("%.0f", bin_km)
                                                             : absl::StrFormat("%.2g", bin_km))));
  y += 8;
  if (density.max == 0) {
    line("none in view", 10, false, 14);
  } else {
    int shown = 0;
    for (int k = 0; k < kDensityClasses; ++k) {
      const uint32_t lo = DensityClassFloor(k, density.max);
      const uint32_t hi = k + 1 < kDensityClasses ? DensityClassFloor(k + 1, density.max) - 1 : density.max;
      if (hi < lo) continue;
      const double bx = x + 40.0 * shown++;
      absl::StrAppendFormat(svg,
                            "<rect x=\"%.1f\" y=\"%.1f\" width=\"38\" height=\"12\" fill=\"%s\"/>"
                            "<text x=\"%.1f\" y=\"%.1f\" font-size=\"9\">%s</text>\n",
                            bx, y, kDensityRamp[k], bx, y + 24, Thousands(lo));
    }
    y += 24;
    if (density.plotted < matched) {
      line(absl::StrCat(Thousands(matched - density.plotted), " matched users outside the view"), 10,
           false, 16);
    }
  }
  y += 24;
  AppendScaleBar(p, x, y, svg);
  y += 26;
  line(absl::StrFormat("Equirectangular, centred %s %s", DegreeLabel(std::round(p.mid_lat() * 100) / 100, true),
                       DegreeLabel(std::round(Rel(p.center(), 0) * 100) / 100, false)),
       9, false, 8);
  svg->append("</g>\n");
}

absl::Status AddGeoJsonRings(const nlohmann::json& polygon, MapOutline* out) {
  if (!polygon.is_array()) return absl::DataLossError("a polygon is not an array of rings");
  for (const auto& ring : polygon) {
    if (!ring.is_array()) return absl::DataLossError("a ring is not an array");
    std::vector<S2LatLng> lls;
    lls.reserve(ring.size());
    for (const auto& pos : ring) {
      if (!pos.is_array() || pos.size() < 2 || !pos[0].is_number() || !pos[1].is_number()) {
        return absl::DataLossError("a position is not [lng, lat]");
      }
      lls.push_back(S2LatLng::FromDegrees(pos[1].get<double>(), pos[0].get<double>()));
    }
    if (lls.size() > 1 && lls.front() == lls.back()) lls.pop_back();
    out->rings.push_back(std::move(lls));
  }
  return absl::OkStatus();
}

// --- GeoJSON of the covering ---

// The part of `ring` (a closed polygon, last vertex not repeated) with
// side * (x - limit) <= 0 (Sutherland-Hodgman, one half-plane).
std::vector<Pt> ClipX(const std::vector<Pt>& ring, double limit, int side) {
  std::vector<Pt> out;
  const size_t n = ring.size();
  for (size_t i = 0; i < n; ++i) {
    const Pt& a = ring[i];
    const Pt& b = ring[(i + 1) % n];
    const bool a_in = side * (a.x - limit) <= 0, b_in = side * (b.x - limit) <= 0;
    if (a_in) out.push_back(a);
    if (a_in != b_in) {
      const double t = (limit - a.x) / (b.x - a.x);
      out.push_back({limit, a.y + t * (b.y - a.y)});
    }
  }
  return out;
}

void AppendPosition(const Pt& p, std::string* out) {
  absl::StrAppendFormat(out, "[%.7f,%.7f]", p.x, p.y);
}

}  // namespace

absl::Status AlertMapOptions::Validate() const {
  if (plot_width < 200 || plot_width > 8000) {
    return absl::InvalidArgumentError(absl::StrCat("plot_width must be in 200..8000, got ", plot_width));
  }
  if (min_plot_height < 100 || min_plot_height > max_plot_height || max_plot_height > 8000) {
    return absl::InvalidArgumentError("plot heights must satisfy 100 <= min <= max <= 8000");
  }
  if (density_bin_px < 2 || density_bin_px > 64) {
    return absl::InvalidArgumentError(absl::StrCat("density_bin_px must be in 2..64, got ", density_bin_px));
  }
  if (!(margin_fraction >= 0 && margin_fraction <= 10)) {
    return absl::InvalidArgumentError("margin_fraction must be in 0..10");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<MapOutline>> LoadStateOutlines() {
  ASSIGN_OR_RETURN(std::string path, FindDataFile("boundaries/us-states.geojson"));
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  std::stringstream buffer;
  buffer << in.rdbuf();
  const std::string text = buffer.str();
  const nlohmann::json root = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (root.is_discarded() || !root.is_object() || !root.contains("features") ||
      !root["features"].is_array()) {
    return absl::DataLossError(absl::StrCat(path, ": not a GeoJSON FeatureCollection"));
  }
  std::vector<MapOutline> outlines;
  for (const auto& f : root["features"]) {
    MapOutline o;
    if (!f.is_object()) return absl::DataLossError(absl::StrCat(path, ": a feature is not an object"));
    const auto props = f.value("properties", nlohmann::json::object());
    if (props.is_object()) o.name = props.value("name", "");
    const auto g = f.value("geometry", nlohmann::json());
    if (!g.is_object()) continue;  // a null geometry has nothing to draw
    const std::string type = g.value("type", "");
    const auto coords = g.value("coordinates", nlohmann::json());
    absl::Status status;
    if (type == "Polygon") {
      status = AddGeoJsonRings(coords, &o);
    } else if (type == "MultiPolygon" && coords.is_array()) {
      for (const auto& polygon : coords) {
        status = AddGeoJsonRings(polygon, &o);
        if (!status.ok()) break;
      }
    } else {
      status = absl::DataLossError(absl::StrCat("unexpected geometry type \"", type, "\""));
    }
    if (!status.ok()) return absl::DataLossError(absl::StrCat(path, ": ", o.name, ": ", status.message()));
    outlines.push_back(std::move(o));
  }
  return outlines;
}

absl::StatusOr<std::string> RenderAlertMapSvg(const AlertMapInput& in, const AlertMapOptions& o) {
  RETURN_IF_ERROR(o.Validate());
  if (in.area == nullptr || in.area->is_empty()) {
    return absl::InvalidArgumentError("an alert map needs a non-empty area");
  }
  const Projection p(in.area->GetRectBound(), in.area->GetCapBound(), o);
  const Density density = BinUsers(in, p, o.density_bin_px);
  uint64_t matched = 0;
  for (auto span : in.matched_cells) matched += span.size();

  const int width = kLeft + p.width() + 20 + AlertMapOptions::kLegendWidth;
  const int height = std::max(kTop + p.height() + kBottom, 520);
  std::string svg;
  absl::StrAppendFormat(
      &svg,
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
      "viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" data-matched=\"%d\" "
      "data-interior-cells=\"%d\" data-boundary-cells=\"%d\">\n",
      width, height, width, height, matched,
      in.covering != nullptr ? in.covering->interior.num_cells() : 0,
      in.covering != nullptr ? in.covering->boundary.num_cells() : 0);
  absl::StrAppendFormat(&svg, "<title>%s</title>\n",
                        XmlText(in.title.empty() ? "Alert map" : in.title));
  absl::StrAppendFormat(&svg,
                        "<defs><clipPath id=\"plot\"><rect x=\"%d\" y=\"%d\" width=\"%d\" "
                        "height=\"%d\"/></clipPath></defs>\n",
                        kLeft, kTop, p.width(), p.height());
  absl::StrAppendFormat(&svg, "<rect width=\"%d\" height=\"%d\" fill=\"#ffffff\"/>\n", width, height);
  absl::StrAppendFormat(&svg,
                        "<rect id=\"plot-background\" x=\"%d\" y=\"%d\" width=\"%d\" "
                        "height=\"%d\" fill=\"#e8eef3\"/>\n",
                        kLeft, kTop, p.width(), p.height());
  if (in.outlines != nullptr) AppendOutlines(*in.outlines, p, &svg);
  AppendGraticule(p, &svg);
  if (in.covering != nullptr) {
    AppendCells(in.covering->interior, p, "covering-interior", kInteriorColour, &svg);
    AppendCells(in.covering->boundary, p, "covering-boundary", kBoundaryColour, &svg);
  }
  AppendDensity(density, &svg);
  AppendArea(*in.area, p, &svg);
  if (in.incident.has_value()) {
    const double x = p.X(Rel(in.incident->lng().degrees(), p.center()));
    const double y = p.Y(in.incident->lat().degrees());
    absl::StrAppendFormat(&svg,
                          "<g id=\"incident\" clip-path=\"url(#plot)\"><circle cx=\"%.1f\" "
                          "cy=\"%.1f\" r=\"7\" fill=\"#ffd400\" stroke=\"#111\" "
                          "stroke-width=\"1.5\"/><path d=\"M%.1f,%.1fh22M%.1f,%.1fh-22M%.1f,"
                          "%.1fv22M%.1f,%.1fv-22\" stroke=\"#111\" stroke-width=\"1.5\"/></g>\n",
                          x, y, x + 7, y, x - 7, y, x, y + 7, x, y - 7);
  }
  absl::StrAppendFormat(&svg,
                        "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" "
                        "stroke=\"#5b6770\" stroke-width=\"1\"/>\n",
                        kLeft, kTop, p.width(), p.height());
  AppendLegend(in, p, density, o, &svg);
  svg.append("</svg>\n");
  return svg;
}

std::string CoveringToGeoJson(const AreaCovering& covering) {
  std::string out = "{\"type\":\"FeatureCollection\",\"features\":[";
  bool first = true;
  auto add = [&](const S2CellUnion& cells, const char* kind) {
    for (S2CellId cell : cells) {
      const std::vector<S2LatLng> lls = CellLatLngs(cell);
      const Ring ring = Unwrap(lls, 0);  // x: longitude, unwrapped
      // The pieces of the ring (and of its copies 360 degrees either side)
      // inside [-180, 180].
      std::vector<std::vector<Pt>> pieces;
      for (double shift : {0.0, -360.0, 360.0}) {
        std::vector<Pt> shifted = ring.pts;
        for (Pt& pt : shifted) pt.x += shift;
        std::vector<Pt> piece = ClipX(ClipX(shifted, 180, 1), -180, -1);
        if (piece.size() < 3) continue;
        double twice_area = 0;
        for (size_t i = 0; i < piece.size(); ++i) {
          const Pt& a = piece[i];
          const Pt& b = piece[(i + 1) % piece.size()];
          twice_area += a.x * b.y - b.x * a.y;
        }
        if (std::fabs(twice_area) > 1e-18) pieces.push_back(std::move(piece));
      }
      absl::StrAppend(&out, first ? "\n" : ",\n",
                      "{\"type\":\"Feature\",\"properties\":{\"token\":\"", cell.ToToken(),
                      "\",\"level\":", cell.level(), ",\"kind\":\"", kind, "\"},\"geometry\":{");
      first = false;
      absl::StrAppend(&out, pieces.size() == 1 ? "\"type\":\"Polygon\",\"coordinates\":"
                                               : "\"type\":\"MultiPolygon\",\"coordinates\":[");
      for (size_t k = 0; k < pieces.size(); ++k) {
        if (k > 0) out += ',';
        out += "[[";
        for (const Pt& pt : pieces[k]) {
          AppendPosition(pt, &out);
          out += ',';
        }
        AppendPosition(pieces[k][0], &out);  // closed, as RFC 7946 asks
        out += "]]";
      }
      if (pieces.size() != 1) out += ']';
      out += "}}";
    }
  };
  add(covering.interior, "interior");
  add(covering.boundary, "boundary");
  out += "\n]}\n";
  return out;
}

}  // namespace fanout
