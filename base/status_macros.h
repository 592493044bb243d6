// Copyright 2026 The fan-out engine authors.
//
// RETURN_IF_ERROR and ASSIGN_OR_RETURN: Abseil 20220623 ships no status
// macros, so the project keeps this one small pair (as S2 and others do).

#ifndef FANOUT_BASE_STATUS_MACROS_H_
#define FANOUT_BASE_STATUS_MACROS_H_

#include <utility>

#include "absl/base/optimization.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"

// Evaluates `expr` (an absl::Status) and returns it from the enclosing
// function if it is not OK.
#define RETURN_IF_ERROR(expr)                                   \
  do {                                                          \
    ::absl::Status fanout_status_ = (expr);                     \
    if (ABSL_PREDICT_FALSE(!fanout_status_.ok())) {             \
      return fanout_status_;                                    \
    }                                                           \
  } while (false)

#define FANOUT_CONCAT_INNER_(a, b) a##b
#define FANOUT_CONCAT_(a, b) FANOUT_CONCAT_INNER_(a, b)

// ASSIGN_OR_RETURN(lhs, expr): evaluates `expr` (an absl::StatusOr<T>); on
// error returns its status, otherwise move-assigns the value to `lhs`, which
// may be a declaration (`auto x`, `std::unique_ptr<T> p`).
#define ASSIGN_OR_RETURN(lhs, expr) \
  FANOUT_ASSIGN_OR_RETURN_IMPL_(FANOUT_CONCAT_(fanout_statusor_, __LINE__), lhs, expr)

#define FANOUT_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, expr) \
  auto statusor = (expr);                                  \
  if (ABSL_PREDICT_FALSE(!statusor.ok())) {                \
    return std::move(statusor).status();                   \
  }                                                        \
  lhs = std::move(statusor).value()

#endif  // FANOUT_BASE_STATUS_MACROS_H_
