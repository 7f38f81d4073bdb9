#include "coordinator/service/run_metrics.h"

#include <gtest/gtest.h>

#include <sstream>
#include <string>

#include "prometheus/text_serializer.h"

namespace ctmr::service {
namespace {

std::string Scrape(const RunMetrics& metrics) {
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, metrics.registry()->Collect());
  return out.str();
}

TEST(RunMetricsUnitTest, MirrorsTheSchedulerAndItsRetries) {
  RunMetrics metrics;
  SchedulerOptions options;
  options.lease_ms = 1000;
  Scheduler scheduler(options);
  scheduler.AddMapTask("/data/2026-11-26");
  scheduler.AddMapTask("/data/2026-11-27");
  Ready ready;
  ready.set_threads(1);
  scheduler.OnReady("w1", ready, 0);
  ASSERT_EQ(scheduler.Dispatch(0).size(), 1u);
  metrics.Observe(scheduler, 0, /*force=*/true);
  std::string text = Scrape(metrics);
  EXPECT_NE(text.find("ct_coordinator_tasks{state=\"queued\"} 1"), std::string::npos) << text;
  EXPECT_NE(text.find("ct_coordinator_tasks{state=\"leased\"} 1"), std::string::npos);
  EXPECT_NE(text.find("ct_coordinator_workers 1"), std::string::npos);
  // The worker goes silent: it is declared dead and its task re-queued.
  scheduler.OnTick(60'000);
  metrics.Observe(scheduler, 60'000);
  text = Scrape(metrics);
  EXPECT_NE(text.find("ct_coordinator_task_retries_total{reason=\"worker_dead\"} 1"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("ct_coordinator_tasks{state=\"queued\"} 2"), std::string::npos) << text;
}

// A worker whose failures another worker then commits is quarantined; the
// counter follows the scheduler's total.
TEST(RunMetricsUnitTest, QuarantinesAreCounted) {
  RunMetrics metrics;
  SchedulerOptions options;
  options.quarantine_min_failures = 2;
  Scheduler scheduler(options);
  Ready ready;
  ready.set_threads(1);
  ready.set_worker_name("a:1");
  scheduler.OnReady("a", ready, 0);
  ready.set_worker_name("b:1");
  scheduler.OnReady("b", ready, 0);
  int64_t now = 0;
  for (int i = 0; i < 2; ++i) {
    const uint64_t id = scheduler.AddMapTask("/data/d" + std::to_string(i));
    std::vector<Outgoing> out = scheduler.Dispatch(++now);
    ASSERT_EQ(out.size(), 1u);
    ASSERT_EQ(out[0].routing_id, "a");  // ties go by routing id
    Result failed;
    failed.set_task_id(id);
    failed.set_error_kind(TRANSIENT);
    failed.set_error("no such directory");
    scheduler.OnResult("a", failed, ++now);
    out = scheduler.Dispatch(++now);
    ASSERT_EQ(out.size(), 1u);
    ASSERT_EQ(out[0].routing_id, "b");
    Result ok;
    ok.set_task_id(id);
    ok.set_ok(true);
    ok.mutable_map()->set_committed(true);
    ASSERT_EQ(scheduler.OnResult("b", ok, ++now), ResultOutcome::kCommitted);
  }
  ASSERT_EQ(scheduler.quarantines(), 1u);
  metrics.Observe(scheduler, now, /*force=*/true);
  const std::string text = Scrape(metrics);
  EXPECT_NE(text.find("ct_coordinator_worker_quarantines_total 1"), std::string::npos) << text;
}

TEST(RunMetricsUnitTest, ResultsAndCyclesAreCounted) {
  RunMetrics metrics;
  Result result;
  result.set_ok(true);
  result.mutable_map()->set_certificates(7);
  metrics.OnResult("map", ResultOutcome::kCommitted, result);
  metrics.OnResult("map", ResultOutcome::kDiscarded, result);
  metrics.OnCycle(true);
  const std::string text = Scrape(metrics);
  EXPECT_NE(text.find("ct_coordinator_tasks_total{kind=\"map\",outcome=\"ok\"} 1"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("ct_coordinator_tasks_total{kind=\"map\",outcome=\"discarded\"} 1"),
            std::string::npos);
  EXPECT_NE(text.find("ct_coordinator_certificates_mapped_total 7"), std::string::npos);
  EXPECT_NE(text.find("ct_coordinator_cycles_total{outcome=\"ok\"} 1"), std::string::npos);
}

TEST(RunMetricsUnitTest, HealthFollowsTheLoop) {
  RunMetrics metrics;
  Scheduler scheduler({});
  metrics.Observe(scheduler, 1'000);
  EXPECT_TRUE(metrics.Health(20'000).healthy);
  const metrics::HealthStatus stuck = metrics.Health(40'000);
  EXPECT_FALSE(stuck.healthy);
  EXPECT_NE(stuck.detail.find("has not turned for 39 s"), std::string::npos) << stuck.detail;
}

}  // namespace
}  // namespace ctmr::service
