#include "common/base/civil_date.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <ctime>
#include <string>

namespace ctmr::base {
namespace {

// An independent calendar: the Gregorian leap rule spelled out.
unsigned ReferenceDaysInMonth(int year, unsigned month) {
  static constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = year % 400 == 0 || (year % 4 == 0 && year % 100 != 0);
  return month == 2 && leap ? 29 : kDays[month - 1];
}

std::string Name(int year, unsigned month, unsigned day) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "%04d-%02u-%02u", year, month, day);
  return buf;
}

TEST(CivilDateTest, Epoch) {
  EXPECT_EQ(DaysFromCivil(1970, 1, 1), 0);
  EXPECT_EQ(FormatDate(0), "1970-01-01");
  EXPECT_EQ(ParseDate("1970-01-01"), 0);
  EXPECT_EQ(ParseDate("1969-12-31"), -1);
  EXPECT_EQ(FormatDate(-1), "1969-12-31");
}

TEST(CivilDateTest, KnownDates) {
  EXPECT_EQ(ParseDate("2000-03-01"), 11017);
  EXPECT_EQ(ParseDate("2026-11-26"), 20783);
  EXPECT_EQ(ParseDate("1900-01-01"), -25567);
  EXPECT_EQ(FormatDate(20783), "2026-11-26");
}

// Walks every day of 1900..2200 with the reference calendar: consecutive days
// are consecutive numbers, and name and number round-trip both ways.
TEST(CivilDateTest, EveryDayFrom1900To2200RoundTrips) {
  int32_t expected = DaysFromCivil(1900, 1, 1);
  int checked = 0;
  for (int year = 1900; year <= 2200; ++year) {
    for (unsigned month = 1; month <= 12; ++month) {
      for (unsigned day = 1; day <= ReferenceDaysInMonth(year, month); ++day) {
        const std::string name = Name(year, month, day);
        ASSERT_EQ(DaysFromCivil(year, month, day), expected) << name;
        ASSERT_EQ(ParseDate(name), expected) << name;
        ASSERT_EQ(FormatDate(expected), name) << expected;
        ++expected;
        ++checked;
      }
    }
  }
  EXPECT_EQ(checked, 301 * 365 + 73);  // 73 leap years: 1904..2196 less 2100, plus 2000
}

TEST(CivilDateTest, AgreesWithTimegm) {
  for (int64_t days : {-25567, -1, 0, 1, 11016, 11017, 20783, 47482, 84000}) {
    std::tm tm{};
    tm.tm_year = 70;
    tm.tm_mday = 1 + static_cast<int>(days);
    const time_t t = timegm(&tm);
    ASSERT_EQ(DayOfUnixSeconds(t), days);
    char buf[16];
    std::strftime(buf, sizeof(buf), "%Y-%m-%d", &tm);  // timegm normalized tm
    EXPECT_EQ(FormatDate(static_cast<int32_t>(days)), buf);
  }
}

TEST(CivilDateTest, LeapDays) {
  EXPECT_TRUE(ParseDate("2024-02-29").has_value());
  EXPECT_TRUE(ParseDate("2000-02-29").has_value());
  EXPECT_FALSE(ParseDate("2026-02-29").has_value());
  EXPECT_FALSE(ParseDate("1900-02-29").has_value());
  EXPECT_FALSE(ParseDate("2100-02-29").has_value());
  EXPECT_EQ(*ParseDate("2024-03-01") - *ParseDate("2024-02-28"), 2);
  EXPECT_EQ(*ParseDate("2026-03-01") - *ParseDate("2026-02-28"), 1);
}

TEST(CivilDateTest, InvalidDates) {
  for (const char* text : {"2026-13-45",  "2026-13-01",
                           "2026-00-10",  "2026-01-00",
                           "2026-01-32",  "2026-04-31",
                           "2026-02-30",  "2026-1-5",
                           "2026-01-5",   "2026-1-05",
                           "26-01-05",    "02026-01-05",
                           "2026/01/05",  "2026-01-05 ",
                           " 2026-01-05", "2026-01-05T00:00:00Z",
                           "2026_01_05",  "",
                           "yyyy-mm-dd",  "2026-0a-05",
                           "-026-01-05",  "+026-01-05",
                           "2026--1-05",  "2026-01-0\xff",
                           "state",       "reports",
                           "oracle.out"}) {
    EXPECT_EQ(ParseDate(text), std::nullopt) << text;
  }
}

TEST(CivilDateTest, DayOfUnixSeconds) {
  EXPECT_EQ(DayOfUnixSeconds(0), 0);
  EXPECT_EQ(DayOfUnixSeconds(1), 0);
  EXPECT_EQ(DayOfUnixSeconds(86399), 0);  // 1970-01-01T23:59:59Z
  EXPECT_EQ(DayOfUnixSeconds(86400), 1);  // exact midnight starts the next day
  EXPECT_EQ(DayOfUnixSeconds(86401), 1);
  // Before 1970 the division floors instead of truncating toward zero.
  EXPECT_EQ(DayOfUnixSeconds(-1), -1);  // 1969-12-31T23:59:59Z
  EXPECT_EQ(DayOfUnixSeconds(-86399), -1);
  EXPECT_EQ(DayOfUnixSeconds(-86400), -1);  // 1969-12-31T00:00:00Z
  EXPECT_EQ(DayOfUnixSeconds(-86401), -2);
  EXPECT_EQ(FormatDate(DayOfUnixSeconds(-1)), "1969-12-31");
  // 2026-11-26T00:00:00Z and the second before it.
  const int64_t midnight = int64_t{20783} * 86400;
  EXPECT_EQ(FormatDate(DayOfUnixSeconds(midnight)), "2026-11-26");
  EXPECT_EQ(FormatDate(DayOfUnixSeconds(midnight - 1)), "2026-11-25");
  EXPECT_EQ(FormatDate(DayOfUnixSeconds(midnight + 86399)), "2026-11-26");
  // A notBefore of 1950 (UTCTime's earliest year) is a negative day.
  EXPECT_EQ(FormatDate(DayOfUnixSeconds(-631152000)), "1950-01-01");
  EXPECT_EQ(FormatDate(DayOfUnixSeconds(-631152001)), "1949-12-31");
}

TEST(CivilDateTest, TodayUtcMatchesTheClock) {
  const int32_t before = DayOfUnixSeconds(std::time(nullptr));
  const int32_t today = TodayUtc();
  const int32_t after = DayOfUnixSeconds(std::time(nullptr));
  EXPECT_GE(today, before);
  EXPECT_LE(today, after);
  EXPECT_GT(today, *ParseDate("2024-01-01"));
}

}  // namespace
}  // namespace ctmr::base
