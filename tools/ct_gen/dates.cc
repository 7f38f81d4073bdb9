#include "tools/ct_gen/dates.h"

#include <cstdio>

namespace ctgen {

// Howard Hinnant's days_from_civil / civil_from_days.
int64_t DaysFromCivil(int year, int month, int day) {
  int64_t y = year - (month <= 2 ? 1 : 0);
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  int64_t yoe = y - era * 400;
  int64_t mp = (month + 9) % 12;
  int64_t doy = (153 * mp + 2) / 5 + day - 1;
  int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

CivilTime ToCivil(int64_t unix_seconds) {
  int64_t days = DayOf(unix_seconds);
  int64_t secs = unix_seconds - days * kSecondsPerDay;
  int64_t z = days + 719468;
  int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  int64_t doe = z - era * 146097;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int64_t mp = (5 * doy + 2) / 153;
  int64_t d = doy - (153 * mp + 2) / 5 + 1;
  int64_t m = mp < 10 ? mp + 3 : mp - 9;
  int64_t y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  return CivilTime{static_cast<int>(y),
                   static_cast<int>(m),
                   static_cast<int>(d),
                   static_cast<int>(secs / 3600),
                   static_cast<int>(secs / 60 % 60),
                   static_cast<int>(secs % 60)};
}

std::optional<int64_t> ParseDate(std::string_view text) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return std::nullopt;
  int fields[3] = {0, 0, 0};
  const int starts[3] = {0, 5, 8};
  const int lens[3] = {4, 2, 2};
  for (int f = 0; f < 3; ++f) {
    for (int i = 0; i < lens[f]; ++i) {
      char c = text[starts[f] + i];
      if (c < '0' || c > '9') return std::nullopt;
      fields[f] = fields[f] * 10 + (c - '0');
    }
  }
  if (fields[1] < 1 || fields[1] > 12 || fields[2] < 1) return std::nullopt;
  int64_t day = DaysFromCivil(fields[0], fields[1], fields[2]);
  CivilTime back = ToCivil(day * kSecondsPerDay);
  if (back.year != fields[0] || back.month != fields[1] || back.day != fields[2]) {
    return std::nullopt;
  }
  return day;
}

std::string FormatDate(int64_t day) {
  CivilTime t = ToCivil(day * kSecondsPerDay);
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", t.year, t.month, t.day);
  return buf;
}

std::string FormatRfc3339(int64_t unix_seconds) {
  CivilTime t = ToCivil(unix_seconds);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02dZ", t.year, t.month, t.day, t.hour,
                t.minute, t.second);
  return buf;
}

}  // namespace ctgen
