// Dates: UTC calendar arithmetic for ct-gen, on days since 1970-01-01.
//
// ct-gen keeps every date as a day number and every instant as seconds since
// the epoch; these helpers convert to and from "YYYY-MM-DD" and to the civil
// fields DER times need. Proleptic Gregorian calendar, no leap seconds.
#ifndef CT_TOOLS_CT_GEN_DATES_H_
#define CT_TOOLS_CT_GEN_DATES_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ctgen {

inline constexpr int64_t kSecondsPerDay = 86400;

struct CivilTime {
  int year, month, day, hour, minute, second;
};

int64_t DaysFromCivil(int year, int month, int day);
CivilTime ToCivil(int64_t unix_seconds);

// Parses a strict "YYYY-MM-DD" that names a real calendar date.
std::optional<int64_t> ParseDate(std::string_view text);
// "YYYY-MM-DD" of a day number.
std::string FormatDate(int64_t day);
// "YYYY-MM-DDTHH:MM:SSZ" of an instant.
std::string FormatRfc3339(int64_t unix_seconds);
// The UTC day number of an instant (floor division, also before 1970).
inline int64_t DayOf(int64_t unix_seconds) {
  return unix_seconds >= 0 ? unix_seconds / kSecondsPerDay
                           : -((-unix_seconds + kSecondsPerDay - 1) / kSecondsPerDay);
}

}  // namespace ctgen

#endif  // CT_TOOLS_CT_GEN_DATES_H_
