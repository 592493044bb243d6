// Copyright 2026 The fan-out engine authors.

#include "tools/cli_flags.h"

#include <charconv>
#include <cmath>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "base/file_io.h"

namespace fanout {

absl::Status CliFlags::Parse(int argc, char** argv, int first) {
  std::string last_valued;  // the flag whose value was the previous argument
  for (int i = first; i < argc; ++i) {
    std::string arg = argv[i];
    if (!absl::StartsWith(arg, "--") || arg == "--") {
      if (positional_.size() < max_positional_) {
        positional_.push_back(arg);
        last_valued.clear();
        continue;
      }
      std::string hint;
      if (!last_valued.empty()) {
        hint = absl::StrCat(" after the value of --", last_valued, " (it takes one value; ",
                            "quote a value that has spaces)");
      }
      return absl::InvalidArgumentError(
          absl::StrCat("unexpected argument ", QuoteForMessage(arg), hint));
    }
    std::string name = arg.substr(2), value;
    bool inline_value = false;
    if (size_t eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
      inline_value = true;
    }
    if (values_.count(name)) return absl::InvalidArgumentError(absl::StrCat("--", name, " given twice"));
    if (switches_.count(name)) {
      if (inline_value) return absl::InvalidArgumentError(absl::StrCat("--", name, " takes no value"));
      values_[name] = "";
      last_valued.clear();
    } else if (valued_.count(name)) {
      if (!inline_value) {
        if (i + 1 >= argc) return absl::InvalidArgumentError(absl::StrCat("--", name, " needs a value"));
        value = argv[++i];
      }
      values_[name] = value;
      last_valued = name;
    } else {
      return absl::InvalidArgumentError(absl::StrCat("unknown flag --", name));
    }
  }
  return absl::OkStatus();
}

std::optional<std::string> CliFlags::Get(const std::string& flag) const {
  auto it = values_.find(flag);
  if (it == values_.end()) return std::nullopt;
  return it->second;
}

absl::StatusOr<std::string> CliFlags::Require(const std::string& flag) const {
  auto v = Get(flag);
  if (!v) return absl::InvalidArgumentError(absl::StrCat("--", flag, " is required"));
  return *v;
}

absl::StatusOr<uint64_t> CliFlags::GetUintInRange(const std::string& flag,
                                                  uint64_t default_value, uint64_t lo,
                                                  uint64_t hi) const {
  auto n = GetUint(flag, default_value);
  if (n.ok() && (*n < lo || *n > hi)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--", flag, " must be in ", lo, "..", hi, ", got ", *n));
  }
  return n;
}

absl::StatusOr<uint64_t> CliFlags::GetUint(const std::string& flag, uint64_t default_value) const {
  auto v = Get(flag);
  if (!v) return default_value;
  std::string digits;
  uint64_t multiplier = 1;
  for (size_t i = 0; i < v->size(); ++i) {
    char c = (*v)[i];
    if (c == '_' || c == ',') continue;
    if (i + 1 == v->size() && (c == 'k' || c == 'K')) multiplier = 1000;
    else if (i + 1 == v->size() && (c == 'm' || c == 'M')) multiplier = 1000000;
    else digits.push_back(c);
  }
  uint64_t n = 0;
  auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
  if (digits.empty() || ec != std::errc() || p != digits.data() + digits.size() ||
      n > UINT64_MAX / multiplier) {
    return absl::InvalidArgumentError(
        absl::StrCat("--", flag, " expects a non-negative integer, got '", *v, "'"));
  }
  return n * multiplier;
}

absl::StatusOr<double> CliFlags::GetDouble(const std::string& flag, double default_value) const {
  auto v = Get(flag);
  if (!v) return default_value;
  double d = 0;
  auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), d);
  if (v->empty() || ec != std::errc() || p != v->data() + v->size() || !std::isfinite(d)) {
    return absl::InvalidArgumentError(absl::StrCat("--", flag, " expects a number, got '", *v, "'"));
  }
  return d;
}

}  // namespace fanout
