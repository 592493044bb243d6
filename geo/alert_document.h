// Copyright 2026 The fan-out engine authors.

#ifndef FANOUT_GEO_ALERT_DOCUMENT_H_
#define FANOUT_GEO_ALERT_DOCUMENT_H_

#include <memory>
#include <string>
#include <vector>

#include "geo/alert_area.h"

namespace fanout {

// An alert as its document wrote it, before any area is resolved: what the
// CAP parser (cap_alert.h) and the GeoJSON reader (geojson_alert.h) both
// produce, and what the resolver (alert_resolver.h) reads. Plain values;
// copy or move freely.

// A geocode as written: <geocode><valueName>SAME</valueName><value>...
struct AlertGeocode {
  std::string value_name;
  std::string value;
};

// One area of an alert as written (a CAP <area>, or a GeoJSON Feature):
// polygon and circle texts are kept raw so that the resolver
// (alert_resolver.h) can apply the strict or the lenient rules and name the
// element in its messages.
struct AlertDocumentArea {
  std::string area_desc;
  std::vector<std::string> polygons;
  std::vector<std::string> circles;
  std::vector<AlertGeocode> geocodes;
  // An area whose geometry was given already built (a GeoJSON alert's
  // Feature geometry); null for CAP.
  std::shared_ptr<const AlertArea> geometry;
  // Where the area came from, for messages: "info[0].area[1]" or
  // "features[3]".
  std::string label;
};

struct AlertDocumentInfo {
  std::string language;
  std::string event;
  std::vector<AlertDocumentArea> areas;
};

// An alert document as written, CAP or GeoJSON (geojson_alert.h reads a
// GeoJSON alert into the same structure): the parts this product uses.
struct AlertDocument {
  std::string version;  // CAP: "1.1" or "1.2"; GeoJSON: empty
  std::string identifier, sender, sent, status, msg_type, scope, references;
  std::vector<AlertDocumentInfo> infos;
};

// An alert's header fields as written (CAP <alert> children, or the
// api.weather.gov properties of a GeoJSON alert); empty when absent.
struct AlertHeader {
  std::string cap_version;  // "1.1" or "1.2" for CAP, else empty
  std::string identifier, sender, sent, msg_type, status, references;
};
AlertHeader HeaderOf(const AlertDocument& alert);

}  // namespace fanout

#endif  // FANOUT_GEO_ALERT_DOCUMENT_H_
