// /metrics and /healthz of a real ct-coordinator run and a real ct-worker,
// scraped over HTTP on 127.0.0.1 while they work: two cycles, the second after
// new directories arrive, so the counters must move between scrapes.
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "tests/support/test_support.h"

namespace ctmr {
namespace {

namespace fs = std::filesystem;
using ::ctmr::testing::BinaryPath;
using ::ctmr::testing::ReadFile;
using ::ctmr::testing::RunCommand;
using ::ctmr::testing::StartProcessLogged;
using ::ctmr::testing::TempDir;
using ::ctmr::testing::WaitFor;
using ::ctmr::testing::WaitForCoordinatorEndpoint;
using ::ctmr::testing::WaitProcess;

// The port a process announced with "metrics on port N", or "".
std::string MetricsPort(const std::string& log) {
  const std::string text = ReadFile(log);
  const size_t at = text.find("metrics on port ");
  if (at == std::string::npos) return "";
  return text.substr(at + 16, text.find(' ', at + 16) - at - 16);
}

std::string Get(const std::string& port, const std::string& path) {
  return RunCommand({"/usr/bin/curl", "-s", "-w", "\nHTTP %{http_code}\n",
                     "http://127.0.0.1:" + port + path})
      .output;
}

// The value of the sample line that starts with `series` (name and labels).
double Sample(const std::string& text, const std::string& series) {
  const size_t at = text.find("\n" + series + " ");
  if (at == std::string::npos) return -1;
  const size_t start = at + series.size() + 2;
  double value = -1;
  return absl::SimpleAtod(text.substr(start, text.find('\n', start) - start), &value) ? value : -1;
}

TEST(RunMetricsTest, CountersMoveAcrossCyclesAndHealthIsUp) {
  TempDir tmp;
  const std::string gen = tmp.path() + "/gen", root = tmp.path() + "/root";
  ASSERT_EQ(RunCommand({BinaryPath("ct-gen"), "--out", gen, "--certs", "20000", "--days", "20",
                        "--as-of", "2026-11-26", "--seed", "3"})
                .exit_code,
            0);
  // The first half of the date directories now, the rest after cycle 1.
  fs::create_directories(root);
  std::vector<fs::path> dates;
  for (const auto& e : fs::directory_iterator(gen)) {
    if (e.is_directory() && e.path().filename().string().size() == 10) dates.push_back(e.path());
  }
  std::sort(dates.begin(), dates.end());
  ASSERT_EQ(dates.size(), 20u);
  for (size_t i = 0; i < 10; ++i) fs::rename(dates[i], root / dates[i].filename());

  const std::string coordinator_log = tmp.path() + "/coordinator.log";
  const pid_t coordinator = StartProcessLogged(
      {BinaryPath("ct-coordinator"), "run", "--data-dir", root, "--as-of", "2026-11-26", "--bind",
       "tcp://127.0.0.1:0", "--interval", "1", "--metrics-listen", "127.0.0.1:0"},
      coordinator_log);
  const std::string endpoint = WaitForCoordinatorEndpoint(coordinator, coordinator_log);
  ASSERT_FALSE(endpoint.empty()) << ReadFile(coordinator_log);
  const std::string worker_log = tmp.path() + "/worker.log";
  const pid_t worker = StartProcessLogged({BinaryPath("ct-worker"), "--connect", endpoint,
                                           "--threads", "1", "--metrics-listen", "127.0.0.1:0"},
                                          worker_log);
  std::string cport, wport;
  ASSERT_TRUE(WaitFor(20,
                      [&] {
                        cport = MetricsPort(coordinator_log);
                        wport = MetricsPort(worker_log);
                        return !cport.empty() && !wport.empty();
                      }))
      << ReadFile(coordinator_log) << ReadFile(worker_log);

  const std::string mapped = "ct_coordinator_certificates_mapped_total";
  const std::string cycles_ok = "ct_coordinator_cycles_total{outcome=\"ok\"}";
  std::string metrics;
  ASSERT_TRUE(WaitFor(30,
                      [&] {
                        metrics = Get(cport, "/metrics");
                        return Sample(metrics, cycles_ok) >= 1;
                      }))
      << metrics << ReadFile(coordinator_log);
  const double first = Sample(metrics, mapped);
  EXPECT_GT(first, 0) << metrics;
  EXPECT_EQ(Sample(metrics, "ct_coordinator_tasks_total{kind=\"map\",outcome=\"ok\"}"), 10)
      << metrics;
  // Refreshed as the cycle ended: its 10 map tasks and its shard tasks done.
  const double shards =
      Sample(metrics, "ct_coordinator_tasks_total{kind=\"shard\",outcome=\"ok\"}");
  EXPECT_GE(shards, 1) << metrics;
  EXPECT_EQ(Sample(metrics, "ct_coordinator_tasks{state=\"done\"}"), 10 + shards) << metrics;
  EXPECT_EQ(Sample(metrics, "ct_coordinator_workers"), 1) << metrics;
  EXPECT_NE(Get(cport, "/healthz").find("HTTP 200"), std::string::npos);

  for (size_t i = 10; i < dates.size(); ++i) fs::rename(dates[i], root / dates[i].filename());
  ASSERT_TRUE(WaitFor(
      30,
      [&] {
        metrics = Get(cport, "/metrics");
        return Sample(metrics, "ct_coordinator_tasks_total{kind=\"map\",outcome=\"ok\"}") == 20;
      }))
      << metrics << ReadFile(coordinator_log);
  const double total = Sample(metrics, mapped);
  EXPECT_GT(total, first);
  EXPECT_EQ(total, 20000);  // ct-gen's regular certificates, each read once
  EXPECT_GT(Sample(metrics, "ct_coordinator_task_duration_seconds_count{kind=\"map\"}"), 0);
  // The one worker ran every map task: its own count is the same.
  const std::string worker_metrics = Get(wport, "/metrics");
  EXPECT_EQ(Sample(worker_metrics, "ct_worker_certificates_mapped_total"), total) << worker_metrics;
  EXPECT_EQ(Sample(worker_metrics, "ct_worker_parse_errors_total"), 0) << worker_metrics;
  EXPECT_NE(Get(wport, "/healthz").find("HTTP 200"), std::string::npos);

  ::kill(coordinator, SIGTERM);
  EXPECT_EQ(WaitProcess(coordinator), 0) << ReadFile(coordinator_log);
  ::kill(worker, SIGTERM);
  WaitProcess(worker);
}

TEST(RunMetricsTest, AMetricsAddressBeyondLoopbackNeedsAToken) {
  TempDir tmp;
  auto r = RunCommand(
      {BinaryPath("ct-worker"), "--connect", "tcp://127.0.0.1:1", "--metrics-listen", "0.0.0.0:0"});
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("bearer token"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace ctmr
