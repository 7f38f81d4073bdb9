// Multi-process tests of the distributed run: a real ct-coordinator and real
// ct-worker processes over real ZeroMQ sockets on 127.0.0.1. Every scenario
// must end with the reports the unsharded `ct-coordinator reduce` writes for
// the same data.
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>
#include <zmq.hpp>

#include "gtest/gtest.h"
#include "tests/support/test_support.h"

namespace ctmr {
namespace {

using ::ctmr::testing::BinaryPath;
using ::ctmr::testing::CopyTree;
using ::ctmr::testing::FreeLoopbackPort;
using ::ctmr::testing::ListDir;
using ::ctmr::testing::ReadFile;
using ::ctmr::testing::RunCommand;
using ::ctmr::testing::StartProcessLogged;
using ::ctmr::testing::TempDir;
using ::ctmr::testing::WaitFor;
using ::ctmr::testing::WaitProcess;
using Json = nlohmann::json;

constexpr char kAsOf[] = "2026-11-26";

class DistributedTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = tmp_.path() + "/root";
    reference_ = tmp_.path() + "/reference";
    endpoint_ = "tcp://127.0.0.1:" + std::to_string(FreeLoopbackPort());
  }

  // A corpus with every edge case; `big_directory_certs` > 0 adds 2026-11-19,
  // dispatched first, whose map takes long enough to stall a worker inside it.
  void Generate(int certs, int days, int big_directory_certs = 0) {
    auto gen = RunCommand({BinaryPath("ct-gen"), "--out", root_, "--certs", std::to_string(certs),
                           "--days", std::to_string(days), "--first-date", "2026-11-20", "--as-of",
                           kAsOf, "--seed", "21", "--edge-cases"});
    ASSERT_EQ(gen.exit_code, 0) << gen.output;
    if (big_directory_certs > 0) {
      const std::string big = tmp_.path() + "/big";
      auto more = RunCommand({BinaryPath("ct-gen"), "--out", big, "--certs",
                              std::to_string(big_directory_certs), "--days", "1", "--first-date",
                              "2026-11-19", "--as-of", kAsOf, "--seed", "22", "--clean"});
      ASSERT_EQ(more.exit_code, 0) << more.output;
      ASSERT_EQ(::rename((big + "/2026-11-19").c_str(), (root_ + "/2026-11-19").c_str()), 0);
    }
    CopyTree(root_, reference_);
  }

  // The reports of the unsharded `ct-coordinator reduce` on the untouched copy
  // (the run's reduce is sharded).
  void ExpectSameReportsAsReduce() {
    auto reduce = RunCommand({BinaryPath("ct-coordinator"), "reduce", "--data-dir", reference_,
                              "--as-of", kAsOf, "--unsharded"});
    ASSERT_EQ(reduce.exit_code, 0) << reduce.output;
    Json got = Json::parse(ReadFile(root_ + "/reports/summary.json"));
    Json want = Json::parse(ReadFile(reference_ + "/reports/summary.json"));
    got["directories"].erase("mapped");
    want["directories"].erase("mapped");
    EXPECT_EQ(got, want);
    for (const char* report :
         {"cert-daily-stats.tsv", "issued-per-day.csv", "active-by-issuer.csv"}) {
      EXPECT_EQ(ReadFile(root_ + "/reports/" + report), ReadFile(reference_ + "/reports/" + report))
          << report;
    }
  }

  std::vector<std::string> Coordinator(std::vector<std::string> extra) {
    std::vector<std::string> argv = {BinaryPath("ct-coordinator"),
                                     "run",
                                     "--data-dir",
                                     root_,
                                     "--as-of",
                                     kAsOf,
                                     "--bind",
                                     endpoint_,
                                     "--heartbeat-ms",
                                     "100",
                                     "--lease",
                                     "3"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return argv;
  }

  pid_t StartWorker(const std::string& log, std::vector<std::string> extra = {}) {
    std::vector<std::string> argv = {
        BinaryPath("ct-worker"), "--connect", endpoint_, "--threads", "1", "--heartbeat-ms", "100"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return StartProcessLogged(argv, tmp_.path() + "/" + log);
  }

  int CountOracles() {
    int n = 0;
    for (const std::string& d : ListDir(root_)) {
      struct stat st;
      if (::stat((root_ + "/" + d + "/oracle.out").c_str(), &st) == 0) ++n;
    }
    return n;
  }

  TempDir tmp_;
  std::string root_, reference_, endpoint_;
};

TEST_F(DistributedTest, FourLocalWorkersMapTwoHundredDirectories) {
  Generate(8000, 200);
  auto run = RunCommand(Coordinator({"--local-workers", "4", "--once"}));
  ASSERT_EQ(run.exit_code, 0) << run.output;
  ExpectSameReportsAsReduce();
}

TEST_F(DistributedTest, WorkerKilledMidTask) {
  Generate(30000, 40);
  const std::string log = tmp_.path() + "/coordinator.log";
  const pid_t coordinator = StartProcessLogged(Coordinator({"--once"}), log);
  const pid_t a = StartWorker("a.log");
  const pid_t b = StartWorker("b.log");
  ASSERT_TRUE(WaitFor(30, [&] { return CountOracles() >= 2; }));
  ::kill(a, SIGKILL);
  WaitProcess(a);
  EXPECT_EQ(WaitProcess(coordinator), 0) << ReadFile(log);
  ::kill(b, SIGTERM);
  WaitProcess(b);
  ExpectSameReportsAsReduce();
}

TEST_F(DistributedTest, StalledWorkerComesBackLateAndItsResultIsDiscarded) {
  Generate(3000, 12, 150000);
  const std::string log = tmp_.path() + "/coordinator.log";
  const pid_t coordinator = StartProcessLogged(Coordinator({"--interval", "3600"}), log);
  const pid_t a = StartWorker("a.log");
  // Let A take the big directory, then freeze it inside that map, past its lease.
  ASSERT_TRUE(WaitFor(10, [&] { return ReadFile(log).find("worker joined") != std::string::npos; }))
      << ReadFile(log);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  ::kill(a, SIGSTOP);
  const pid_t b = StartWorker("b.log");
  ASSERT_TRUE(WaitFor(60, [&] {
    struct stat st;
    return ::stat((root_ + "/reports/summary.json").c_str(), &st) == 0;
  })) << ReadFile(log);
  ::kill(a, SIGCONT);
  EXPECT_TRUE(WaitFor(20, [&] {
    return ReadFile(log).find("discarding late result") != std::string::npos;
  })) << ReadFile(log);
  ::kill(coordinator, SIGTERM);
  WaitProcess(coordinator);
  ::kill(a, SIGTERM);
  ::kill(b, SIGTERM);
  WaitProcess(a);
  WaitProcess(b);
  ExpectSameReportsAsReduce();
}

TEST_F(DistributedTest, DirectoryThatAlwaysFailsIsFailedAfterThreeAttemptsThenRequeued) {
  Generate(2000, 8);
  ASSERT_EQ(::symlink("/nonexistent", (root_ + "/2026-11-22/dangling.pem").c_str()), 0);
  auto run = RunCommand(Coordinator({"--local-workers", "2", "--once"}));
  EXPECT_EQ(run.exit_code, 1) << run.output;
  const Json summary = Json::parse(ReadFile(root_ + "/reports/summary.json"));
  EXPECT_EQ(summary["directories"]["failed"], Json::array({"2026-11-22"}));
  auto status = RunCommand({BinaryPath("ct-coordinator"), "status", "--data-dir", root_});
  EXPECT_EQ(status.exit_code, 0) << status.output;
  EXPECT_NE(status.output.find("2026-11-22"), std::string::npos) << status.output;
  EXPECT_NE(status.output.find("dangling.pem"), std::string::npos) << status.output;
  EXPECT_NE(status.output.find("3"), std::string::npos) << status.output;

  ::unlink((root_ + "/2026-11-22/dangling.pem").c_str());
  auto requeue =
      RunCommand({BinaryPath("ct-coordinator"), "requeue", "--data-dir", root_, "--failed"});
  EXPECT_EQ(requeue.exit_code, 0) << requeue.output;
  auto again = RunCommand(Coordinator({"--local-workers", "2", "--once"}));
  EXPECT_EQ(again.exit_code, 0) << again.output;
  ExpectSameReportsAsReduce();
}

TEST_F(DistributedTest, CoordinatorKilledAndRestartedDoesNotRemapCommittedDirectories) {
  Generate(40000, 30);
  const std::string log = tmp_.path() + "/coordinator.log";
  const pid_t workers[] = {StartWorker("a.log"), StartWorker("b.log")};
  const pid_t coordinator = StartProcessLogged(Coordinator({"--once"}), log);
  ASSERT_TRUE(WaitFor(60, [&] { return CountOracles() >= 5; }));
  ::kill(coordinator, SIGKILL);
  WaitProcess(coordinator);
  // What was committed before the kill must not be mapped again.
  std::map<std::string, std::string> committed;
  for (const std::string& d : ListDir(root_)) {
    const std::string path = root_ + "/" + d + "/oracle.out";
    if (::access(path.c_str(), F_OK) == 0) committed[path] = ReadFile(path);
  }
  std::map<std::string, timespec> mtimes;
  for (const auto& [path, bytes] : committed) {
    struct stat st;
    ::stat(path.c_str(), &st);
    mtimes[path] = st.st_mtim;
  }
  const pid_t restarted = StartProcessLogged(Coordinator({"--once"}), log);
  EXPECT_EQ(WaitProcess(restarted), 0) << ReadFile(log);
  for (const auto& [path, when] : mtimes) {
    struct stat st;
    ASSERT_EQ(::stat(path.c_str(), &st), 0);
    // A directory whose map was running at the kill may be committed once more
    // with the same bytes; anything committed earlier is left alone.
    if (st.st_mtim.tv_sec != when.tv_sec || st.st_mtim.tv_nsec != when.tv_nsec) {
      EXPECT_EQ(ReadFile(path), committed[path]) << path;
    }
  }
  for (pid_t w : workers) {
    ::kill(w, SIGTERM);
    WaitProcess(w);
  }
  ExpectSameReportsAsReduce();
}

TEST_F(DistributedTest, OnlyAuthorizedCurveKeysGetTasks) {
  Generate(2000, 6);
  const std::string keys = tmp_.path() + "/keys";
  const std::string authorized = tmp_.path() + "/authorized";
  ASSERT_EQ(::mkdir(keys.c_str(), 0700), 0);
  ASSERT_EQ(::mkdir(authorized.c_str(), 0700), 0);
  for (const char* name : {"coordinator", "good", "bad"}) {
    auto r = RunCommand({BinaryPath("ct-coordinator"), "keygen", "--out", keys + "/" + name});
    ASSERT_EQ(r.exit_code, 0) << r.output;
  }
  CopyTree(keys + "/good.pub", authorized + "/good.pub");
  const std::string log = tmp_.path() + "/coordinator.log";
  const pid_t coordinator =
      StartProcessLogged(Coordinator({"--once", "--curve-secret-key", keys + "/coordinator.key",
                                      "--authorized-keys", authorized}),
                         log);
  const pid_t bad = StartWorker("bad.log", {"--curve-server-key", keys + "/coordinator.pub",
                                            "--curve-secret-key", keys + "/bad.key"});
  std::this_thread::sleep_for(std::chrono::seconds(2));
  EXPECT_EQ(CountOracles(), 0) << "an unauthorized worker got a task";
  const pid_t good = StartWorker("good.log", {"--curve-server-key", keys + "/coordinator.pub",
                                              "--curve-secret-key", keys + "/good.key"});
  EXPECT_EQ(WaitProcess(coordinator), 0) << ReadFile(log);
  for (pid_t w : {bad, good}) {
    ::kill(w, SIGTERM);
    WaitProcess(w);
  }
  ExpectSameReportsAsReduce();
}

TEST_F(DistributedTest, GarbageOnTheSocketIsDropped) {
  Generate(2000, 6);
  const std::string log = tmp_.path() + "/coordinator.log";
  const pid_t coordinator = StartProcessLogged(Coordinator({"--once"}), log);
  {
    zmq::context_t context;
    zmq::socket_t raw(context, zmq::socket_type::dealer);
    raw.set(zmq::sockopt::linger, 1000);
    raw.connect(endpoint_);
    raw.send(zmq::str_buffer("not a protobuf at all"), zmq::send_flags::none);
    raw.send(zmq::buffer(std::string(4096, '\xff')), zmq::send_flags::none);
    const std::string huge(4 << 20, 'x');  // past ZMQ_MAXMSGSIZE: the peer is dropped
    raw.send(zmq::buffer(huge), zmq::send_flags::none);
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
  }
  const pid_t worker = StartWorker("w.log");
  EXPECT_EQ(WaitProcess(coordinator), 0) << ReadFile(log);
  ::kill(worker, SIGTERM);
  WaitProcess(worker);
  ExpectSameReportsAsReduce();
}

}  // namespace
}  // namespace ctmr
