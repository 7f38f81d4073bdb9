// fetcher/log_list against Chrome's real v3 log list of 2026-01-20.
#include "fetcher/log_list.h"

#include <gtest/gtest.h>

#include <string>

#include "common/base/file_util.h"

namespace ctmr::fetch {
namespace {

constexpr int64_t kListDay = 1768867200;  // 2026-01-20T00:00:00Z

std::vector<LogInfo> RealList() {
  const char* src = std::getenv("CT_SOURCE_DIR");
  const std::string path =
      std::string(src ? src : ".") + "/tests/data/ct/loglist/chrome-log-list-v3-2026-01-20.json";
  absl::StatusOr<std::string> text = base::ReadFileToString(path);
  EXPECT_TRUE(text.ok()) << text.status();
  absl::StatusOr<std::vector<LogInfo>> logs = ParseLogList(text.value_or(""));
  EXPECT_TRUE(logs.ok()) << logs.status();
  return logs.value_or(std::vector<LogInfo>{});
}

TEST(LogListTest, ParsesEveryLogOfTheRealList) {
  std::vector<LogInfo> logs = RealList();
  ASSERT_EQ(logs.size(), 75u);
  int tiled = 0;
  for (const LogInfo& log : logs) {
    EXPECT_FALSE(log.url.empty());
    EXPECT_FALSE(log.key_base64.empty());
    if (log.api == LogApi::kTiled) {
      ++tiled;
      EXPECT_FALSE(log.origin.empty());
    }
  }
  EXPECT_EQ(tiled, 26);
}

TEST(LogListTest, DefaultFollowsCurrentUsableQualifiedReadonly) {
  LogSelection sel;
  sel.now_unix_seconds = kListDay;
  absl::StatusOr<std::vector<LogInfo>> logs = SelectLogs(RealList(), sel);
  ASSERT_TRUE(logs.ok()) << logs.status();
  EXPECT_EQ(logs->size(), 54u);
  int rfc6962 = 0;
  for (const LogInfo& log : *logs) {
    rfc6962 += log.api == LogApi::kRfc6962;
    EXPECT_NE(log.state, "retired");
  }
  EXPECT_EQ(rfc6962, 33);
}

TEST(LogListTest, IncludeExpiredFollowsEverything) {
  LogSelection sel;
  sel.now_unix_seconds = kListDay;
  sel.include_expired = true;
  absl::StatusOr<std::vector<LogInfo>> logs = SelectLogs(RealList(), sel);
  ASSERT_TRUE(logs.ok());
  EXPECT_EQ(logs->size(), 75u);
}

TEST(LogListTest, LogNarrowsByDescriptionOrUrl) {
  LogSelection sel;
  sel.now_unix_seconds = kListDay;
  sel.names = {"geomys 'tuscolo2026h1'", "https://ct.googleapis.com/logs/us1/argon2026h1"};
  absl::StatusOr<std::vector<LogInfo>> logs = SelectLogs(RealList(), sel);
  ASSERT_TRUE(logs.ok()) << logs.status();
  ASSERT_EQ(logs->size(), 2u);
  EXPECT_EQ((*logs)[0].url, "https://ct.googleapis.com/logs/us1/argon2026h1/");
  EXPECT_EQ((*logs)[1].api, LogApi::kTiled);
  EXPECT_EQ((*logs)[1].url, "https://tuscolo2026h1.skylight.geomys.org/");
  EXPECT_EQ((*logs)[1].origin, "tuscolo2026h1.sunlight.geomys.org");
}

TEST(LogListTest, NamedLogThatEndedNeedsIncludeExpired) {
  LogSelection sel;
  sel.now_unix_seconds = kListDay;
  sel.names = {"Google 'Argon2025h2' log"};
  absl::StatusOr<std::vector<LogInfo>> logs = SelectLogs(RealList(), sel);
  EXPECT_TRUE(absl::IsNotFound(logs.status())) << logs.status();
  sel.include_expired = true;
  logs = SelectLogs(RealList(), sel);
  ASSERT_TRUE(logs.ok());
  EXPECT_EQ(logs->size(), 1u);
}

TEST(LogListTest, RejectsMalformedLists) {
  EXPECT_FALSE(ParseLogList("[]").ok());
  EXPECT_FALSE(ParseLogList("{\"operators\": [{\"logs\": [{\"key\": \"AA==\"}]}]}").ok());
  EXPECT_FALSE(ParseLogList("{\"operators\": [{\"logs\": [{\"url\": \"https://a/\", \"key\": "
                            "\"AA==\", \"temporal_interval\": {\"start_inclusive\": \"x\"}}]}]}")
                   .ok());
}

TEST(LogListTest, ParsesRfc3339) {
  EXPECT_EQ(ParseRfc3339Seconds("2026-01-20T00:00:00Z"), kListDay);
  EXPECT_EQ(ParseRfc3339Seconds("2026-01-20T00:00:01.5Z"), kListDay + 1);
  EXPECT_FALSE(ParseRfc3339Seconds("2026-01-20 00:00:00Z"));
  EXPECT_FALSE(ParseRfc3339Seconds("2026-01-20T00:00:00+01:00"));
}

}  // namespace
}  // namespace ctmr::fetch
