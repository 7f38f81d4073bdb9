// The two Status helpers Debian's Abseil (20220623) lacks.
//
//   RETURN_IF_ERROR(expr);          returns expr's Status from the caller if not ok.
//   ASSIGN_OR_RETURN(lhs, expr);    evaluates a StatusOr, returns its Status if not
//                                   ok, else moves its value into lhs.
#ifndef CT_COMMON_BASE_STATUS_MACROS_H_
#define CT_COMMON_BASE_STATUS_MACROS_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define RETURN_IF_ERROR(expr)                \
  do {                                       \
    ::absl::Status ct_status_ = (expr);      \
    if (!ct_status_.ok()) return ct_status_; \
  } while (false)

#define CT_STATUS_CONCAT_INNER(a, b) a##b
#define CT_STATUS_CONCAT(a, b) CT_STATUS_CONCAT_INNER(a, b)

#define ASSIGN_OR_RETURN(lhs, expr) \
  CT_ASSIGN_OR_RETURN_IMPL(CT_STATUS_CONCAT(ct_statusor_, __LINE__), lhs, expr)

// `lhs` may be a declaration ("auto x"), so it cannot be parenthesized.
// NOLINTBEGIN(bugprone-macro-parentheses)
#define CT_ASSIGN_OR_RETURN_IMPL(statusor, lhs, expr) \
  auto statusor = (expr);                             \
  if (!statusor.ok()) return statusor.status();       \
  lhs = std::move(statusor).value()
// NOLINTEND(bugprone-macro-parentheses)

#endif  // CT_COMMON_BASE_STATUS_MACROS_H_
