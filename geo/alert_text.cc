// Copyright 2026 The fan-out engine authors.

#include "geo/alert_text.h"

#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "base/status_macros.h"
#include "geo/cap_alert.h"
#include "geo/geojson_alert.h"
#include "geo/geojson_area.h"

namespace fanout {
namespace {

// The label of the one area of a bare polygon, circle or code.
constexpr char kBareAreaLabel[] = "area";

AlertDocument OneArea(AlertDocumentArea area) {
  AlertDocument alert;
  alert.infos.emplace_back();
  area.label = kBareAreaLabel;
  alert.infos.front().areas.push_back(std::move(area));
  return alert;
}

bool AllDigits(absl::string_view s) {
  for (char c : s) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
  }
  return !s.empty();
}

// "SAME 048201" -> {SAME, 048201}; a bare code is named by its shape.
absl::StatusOr<AlertGeocode> ParseCodeText(absl::string_view text) {
  std::vector<absl::string_view> words =
      absl::StrSplit(text, absl::ByAnyChar(" \t\r\n"), absl::SkipEmpty());
  if (words.size() == 2) return AlertGeocode{std::string(words[0]), std::string(words[1])};
  if (words.size() == 1) {
    absl::string_view code = words[0];
    if (AllDigits(code) && code.size() == 6) return AlertGeocode{"SAME", std::string(code)};
    if (AllDigits(code) && (code.size() == 5 || code.size() == 2)) {
      return AlertGeocode{"FIPS", std::string(code)};
    }
    if (code.size() == 6 && AllDigits(code.substr(3))) return AlertGeocode{"UGC", std::string(code)};
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "code \"", text.substr(0, 60),
      "\": expected \"SAME 048201\", \"FIPS 48201\", \"UGC TXC201\" or a bare code of one of "
      "those shapes"));
}

absl::StatusOr<AlertDocument> ParseAlert(absl::string_view text, AlertFormat format,
                                    const AlertTextOptions& options,
                                    std::vector<std::string>* geojson_repairs) {
  switch (format) {
    case AlertFormat::kCap: {
      CapParseOptions cap;
      cap.max_bytes = options.max_bytes;
      return ParseCapAlert(text, cap);
    }
    case AlertFormat::kGeoJson: {
      GeoJsonOptions geojson;
      geojson.edges = options.resolve.edges;
      geojson.feature_id = options.feature_id;
      geojson.lenient = options.resolve.lenient;
      geojson.repairs = geojson_repairs;
      geojson.max_bytes = options.max_bytes;
      return ParseGeoJsonAlert(text, geojson);
    }
    case AlertFormat::kPolygon: {
      AlertDocumentArea area;
      area.polygons.emplace_back(absl::StripAsciiWhitespace(text));
      return OneArea(std::move(area));
    }
    case AlertFormat::kCircle: {
      AlertDocumentArea area;
      area.circles.emplace_back(absl::StripAsciiWhitespace(text));
      return OneArea(std::move(area));
    }
    case AlertFormat::kCode: {
      ASSIGN_OR_RETURN(AlertGeocode code, ParseCodeText(text));
      AlertDocumentArea area;
      area.geocodes.push_back(std::move(code));
      return OneArea(std::move(area));
    }
  }
  return absl::InvalidArgumentError("unknown alert format");
}

}  // namespace

absl::string_view AlertFormatName(AlertFormat format) {
  switch (format) {
    case AlertFormat::kCap:
      return "cap";
    case AlertFormat::kGeoJson:
      return "geojson";
    case AlertFormat::kPolygon:
      return "polygon";
    case AlertFormat::kCircle:
      return "circle";
    case AlertFormat::kCode:
      return "code";
  }
  return "unknown";
}

absl::Status AlertTextOptions::Validate(AlertFormat format) const {
  RETURN_IF_ERROR(resolve.Validate());
  if (max_bytes == 0) return absl::InvalidArgumentError("max_bytes must be > 0");
  if (!feature_id.empty() && format != AlertFormat::kGeoJson) {
    return absl::InvalidArgumentError(absl::StrCat(
        "a feature id selects a GeoJSON Feature; the alert is ", AlertFormatName(format)));
  }
  return absl::OkStatus();
}

absl::StatusOr<ResolvedAlert> ResolveAlertText(absl::string_view text, AlertFormat format,
                                               const AlertTextOptions& options) {
  RETURN_IF_ERROR(options.Validate(format));
  if (text.size() > options.max_bytes) {
    return absl::InvalidArgumentError(absl::StrCat("the ", AlertFormatName(format), " text is ",
                                                   text.size(), " bytes; the limit is ",
                                                   options.max_bytes));
  }
  std::vector<std::string> geojson_repairs;  // lenient GeoJSON ring repairs, by JSON path
  ASSIGN_OR_RETURN(AlertDocument alert, ParseAlert(text, format, options, &geojson_repairs));
  ASSIGN_OR_RETURN(ResolvedAlert resolved, ResolveAlert(alert, options.resolve));
  for (std::string& r : geojson_repairs) resolved.repairs.push_back(std::move(r));
  return resolved;
}

}  // namespace fanout
