// UTC calendar dates as days since 1970-01-01, and their "YYYY-MM-DD" names.
#ifndef CT_COMMON_BASE_CIVIL_DATE_H_
#define CT_COMMON_BASE_CIVIL_DATE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ctmr::base {

// Days since 1970-01-01 of a proleptic Gregorian date (negative before 1970).
int32_t DaysFromCivil(int64_t year, unsigned month, unsigned day);

// Parses exactly "YYYY-MM-DD" naming a real calendar date; "2026-13-45",
// "2026-02-30" and "2026-1-5" give nullopt.
std::optional<int32_t> ParseDate(std::string_view text);

std::string FormatDate(int32_t days);

// The UTC day that contains `unix_seconds` (floor division, so 1969 works).
inline int32_t DayOfUnixSeconds(int64_t unix_seconds) {
  int64_t d = unix_seconds / 86400;
  if (unix_seconds % 86400 < 0) --d;
  return static_cast<int32_t>(d);
}

// Today's UTC date.
int32_t TodayUtc();

}  // namespace ctmr::base

#endif  // CT_COMMON_BASE_CIVIL_DATE_H_
