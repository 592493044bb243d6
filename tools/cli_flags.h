// Copyright 2026 The fan-out engine authors.

#ifndef FANOUT_TOOLS_CLI_FLAGS_H_
#define FANOUT_TOOLS_CLI_FLAGS_H_

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace fanout {

// A small parser for `fanout SUBCOMMAND --flag value --switch ...`: each
// subcommand declares the flags it takes and how many positional arguments;
// anything else is an error that names the argument (a stray word must
// never be ignored: `--fips 48 201` is not `--fips 48201`). `--flag=value`
// is accepted too.
//
// Thread-safety: not thread-safe.
class CliFlags {
 public:
  // `valued`: flags that take a value; `switches`: flags that do not;
  // `max_positional`: how many arguments that are not flags it takes.
  CliFlags(std::set<std::string> valued, std::set<std::string> switches,
           size_t max_positional = 0)
      : valued_(std::move(valued)),
        switches_(std::move(switches)),
        max_positional_(max_positional) {}

  // Parses argv[first..argc). Positional arguments are kept in order.
  absl::Status Parse(int argc, char** argv, int first);

  bool Has(const std::string& flag) const { return values_.count(flag) > 0; }
  std::optional<std::string> Get(const std::string& flag) const;
  absl::StatusOr<std::string> Require(const std::string& flag) const;
  // Parses an unsigned integer flag, allowing `_` and `,` separators and
  // k/M suffixes (10M = 10,000,000).
  absl::StatusOr<uint64_t> GetUint(const std::string& flag, uint64_t default_value) const;
  // GetUint, and kInvalidArgument "--flag must be in lo..hi, got n" outside.
  absl::StatusOr<uint64_t> GetUintInRange(const std::string& flag, uint64_t default_value,
                                          uint64_t lo, uint64_t hi) const;
  absl::StatusOr<double> GetDouble(const std::string& flag, double default_value) const;
  const std::vector<std::string>& positional() const { return positional_; }

 private:
  std::set<std::string> valued_, switches_;
  size_t max_positional_;
  std::map<std::string, std::string> values_;
  std::vector<std::string> positional_;
};

}  // namespace fanout

#endif  // FANOUT_TOOLS_CLI_FLAGS_H_
