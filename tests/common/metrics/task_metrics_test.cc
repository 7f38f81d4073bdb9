#include "common/metrics/task_metrics.h"

#include <gtest/gtest.h>

#include <sstream>
#include <string>

#include "prometheus/text_serializer.h"

namespace ctmr::metrics {
namespace {

std::string Scrape(prometheus::Registry& registry) {
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, registry.Collect());
  return out.str();
}

TEST(TaskMetricsTest, CountsResultsByKindAndOutcomeAndSumsMapCounts) {
  prometheus::Registry registry;
  TaskMetrics metrics("worker", &registry);
  Result ok;
  ok.set_ok(true);
  ok.set_seconds(0.5);
  ok.mutable_map()->set_certificates(100);
  ok.mutable_map()->set_duplicates(3);
  ok.mutable_map()->set_unparseable_blocks(2);
  ok.mutable_map()->set_bytes_read(4096);
  metrics.OnResult("map", "ok", ok);
  metrics.OnResult("map", "ok", ok);
  Result failed;
  failed.mutable_map()->set_certificates(999);  // not counted: the task failed
  metrics.OnResult("map", "error", failed);
  const std::string text = Scrape(registry);
  EXPECT_NE(text.find("ct_worker_tasks_total{kind=\"map\",outcome=\"ok\"} 2"), std::string::npos)
      << text;
  EXPECT_NE(text.find("ct_worker_tasks_total{kind=\"map\",outcome=\"error\"} 1"),
            std::string::npos);
  EXPECT_NE(text.find("ct_worker_certificates_mapped_total 200"), std::string::npos);
  EXPECT_NE(text.find("ct_worker_duplicates_total 6"), std::string::npos);
  EXPECT_NE(text.find("ct_worker_parse_errors_total 4"), std::string::npos);
  EXPECT_NE(text.find("ct_worker_bytes_read_total 8192"), std::string::npos);
  EXPECT_NE(text.find("ct_worker_task_duration_seconds_count{kind=\"map\"} 3"), std::string::npos);
  EXPECT_NE(text.find("ct_worker_task_duration_seconds_bucket{kind=\"map\",le=\"1\"} 3"),
            std::string::npos);
}

TEST(TaskMetricsTest, KindOfNamesTheTaskMessage) {
  Envelope map;
  map.mutable_map_task();
  Envelope shard;
  shard.mutable_shard_task();
  Envelope heartbeat;
  heartbeat.mutable_heartbeat();
  EXPECT_EQ(TaskMetrics::KindOf(map), "map");
  EXPECT_EQ(TaskMetrics::KindOf(shard), "shard");
  EXPECT_EQ(TaskMetrics::KindOf(heartbeat), "heartbeat");
}

}  // namespace
}  // namespace ctmr::metrics
