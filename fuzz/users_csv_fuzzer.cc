// Copyright 2026 The fan-out engine authors.
//
// The users CSV reader, strict and skipping bad rows.

#include "absl/strings/string_view.h"
#include "engine/users_csv.h"
#include "fuzz/fuzz_targets.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  absl::string_view text(reinterpret_cast<const char*>(data), size);
  for (bool skip : {false, true}) {
    fanout::UsersCsvOptions options;
    options.skip_bad_rows = skip;
    (void)fanout::ParseUsersCsv(text, "fuzz-input", options);
  }
  return 0;
}
