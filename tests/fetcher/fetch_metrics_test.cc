#include "fetcher/fetch_metrics.h"

#include <gtest/gtest.h>

#include <chrono>
#include <sstream>
#include <string>

#include "prometheus/text_serializer.h"

namespace ctmr::fetch {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using std::chrono::steady_clock;

std::string Scrape(const FetchMetrics& metrics) {
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, metrics.registry()->Collect());
  return out.str();
}

FetchProgress Progress(uint64_t next, uint64_t size, uint64_t fetched, bool done = false) {
  FetchProgress p;
  p.next_index = next;
  p.tree_size = size;
  p.fetched = fetched;
  p.done = done;
  return p;
}

TEST(FetchMetricsTest, CountsEntriesAcrossCatchUpsAndReportsLag) {
  FetchMetrics metrics({"a"}, seconds(60));
  metrics.OnProgress("a", Progress(256, 1000, 256));
  metrics.OnProgress("a", Progress(512, 1000, 512));
  metrics.OnProgress("a", Progress(512, 1000, 512, /*done=*/true));
  // The next CatchUp() counts from 0 again.
  metrics.OnProgress("a", Progress(768, 1000, 256));
  const std::string text = Scrape(metrics);
  EXPECT_NE(text.find("ct_fetch_entries_total{log=\"a\"} 768"), std::string::npos) << text;
  EXPECT_NE(text.find("ct_fetch_log_lag_entries{log=\"a\"} 232"), std::string::npos) << text;
  EXPECT_NE(text.find("ct_fetch_tree_size{log=\"a\"} 1000"), std::string::npos) << text;
}

TEST(FetchMetricsTest, CatchUpResultsCountWritesAndFailures) {
  FetchMetrics metrics({"a"}, seconds(60));
  EntryWriterStats totals;
  totals.written = 10;
  totals.expired = 2;
  totals.duplicates = 4;
  metrics.OnCatchUp("a", absl::OkStatus(), totals);
  totals.written = 15;
  totals.duplicates = 7;
  metrics.OnCatchUp("a", absl::DataLossError("bad proof"), totals);
  metrics.OnCatchUp("a", absl::UnavailableError("down"), totals);
  metrics.OnRetry();
  const std::string text = Scrape(metrics);
  EXPECT_NE(text.find("ct_fetch_certificates_written_total{log=\"a\"} 15"), std::string::npos);
  EXPECT_NE(text.find("ct_fetch_certificates_expired_total{log=\"a\"} 2"), std::string::npos);
  EXPECT_NE(text.find("ct_fetch_certificates_duplicate_total{log=\"a\"} 7"), std::string::npos);
  EXPECT_NE(text.find("ct_fetch_verification_failures_total{log=\"a\"} 1"), std::string::npos);
  EXPECT_NE(text.find("ct_fetch_errors_total{log=\"a\"} 2"), std::string::npos);
  EXPECT_NE(text.find("ct_fetch_http_retries_total 1"), std::string::npos) << text;
}

TEST(FetchMetricsTest, ALogWithoutNewEntriesForTwoPollIntervalsIsUnhealthy) {
  const auto start = steady_clock::now();
  FetchMetrics metrics({"growing", "stuck"}, milliseconds(1000), start);
  EXPECT_TRUE(metrics.Health(start + milliseconds(1500)).healthy);
  metrics.OnProgress("growing", Progress(10, 10, 10), start + milliseconds(2000));
  // A poll that found nothing new.
  metrics.OnProgress("stuck", Progress(5, 5, 0), start + milliseconds(2000));
  const metrics::HealthStatus later = metrics.Health(start + milliseconds(2500));
  EXPECT_FALSE(later.healthy);
  EXPECT_NE(later.detail.find("stuck: no new entries"), std::string::npos) << later.detail;
  EXPECT_EQ(later.detail.find("growing"), std::string::npos) << later.detail;
}

}  // namespace
}  // namespace ctmr::fetch
