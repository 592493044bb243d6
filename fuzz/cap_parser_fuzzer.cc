// Copyright 2026 The fan-out engine authors.
//
// CAP XML -> AlertDocument -> resolved area, strict and lenient: must never
// crash, hang or leak, whatever the bytes.

#include <string>

#include "absl/strings/string_view.h"
#include "fuzz/fuzz_targets.h"
#include "geo/alert_resolver.h"
#include "geo/boundary_catalogue.h"
#include "geo/cap_alert.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const fanout::BoundaryCatalogue* catalogue = [] {
    auto c = fanout::BoundaryCatalogue::OpenDefault();
    return c.ok() ? c->release() : nullptr;
  }();
  absl::string_view text(reinterpret_cast<const char*>(data), size);
  auto alert = fanout::ParseCapAlert(text);
  if (!alert.ok() || catalogue == nullptr) return 0;
  for (bool lenient : {false, true}) {
    fanout::ResolveOptions options;
    options.lenient = lenient;
    options.catalogue = catalogue;
    (void)fanout::ResolveAlert(*alert, options);
  }
  return 0;
}
