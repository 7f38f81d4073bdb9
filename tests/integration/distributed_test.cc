// Multi-process tests of the distributed run: a real ct-coordinator and real
// ct-worker processes over real ZeroMQ sockets on 127.0.0.1. Every scenario
// must end with the reports the unsharded `ct-coordinator reduce` writes for
// the same data.
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>
#include <zmq.hpp>

#include "gtest/gtest.h"
#include "tests/support/test_support.h"

namespace ctmr {
namespace {

using ::ctmr::testing::BinaryPath;
using ::ctmr::testing::CopyTree;
using ::ctmr::testing::ListDir;
using ::ctmr::testing::ReadFile;
using ::ctmr::testing::RunCommand;
using ::ctmr::testing::StartProcessLogged;
using ::ctmr::testing::TempDir;
using ::ctmr::testing::WaitFor;
using ::ctmr::testing::WaitForCoordinatorEndpoint;
using ::ctmr::testing::WaitProcess;
using Json = nlohmann::json;

constexpr char kAsOf[] = "2026-11-26";

class DistributedTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = tmp_.path() + "/root";
    reference_ = tmp_.path() + "/reference";
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

  // `ct-coordinator run` on `bind`; port 0: the coordinator's bind picks one.
  std::vector<std::string> Coordinator(std::vector<std::string> extra,
                                       const std::string& bind = "tcp://127.0.0.1:0") {
    std::vector<std::string> argv = {BinaryPath("ct-coordinator"), "run", "--data-dir", root_,
                                     "--as-of", kAsOf, "--bind", bind, "--heartbeat-ms", "100",
                                     "--lease", "3",
                                     // Short leases find a stopped worker fast; a
                                     // big map may take longer than 2 x 3 s.
                                     "--task-timeout", "600"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return argv;
  }

  // Starts the coordinator logging to `log` and waits until it has bound its
  // port: endpoint_ is then where workers reach it ("" if it exited first).
  pid_t StartCoordinator(const std::vector<std::string>& extra, const std::string& log) {
    const pid_t pid = StartProcessLogged(Coordinator(extra), log);
    endpoint_ = WaitForCoordinatorEndpoint(pid, log);
    return pid;
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

  // The map tasks the running coordinator says `worker` (a pid) holds, as
  // `ct-coordinator workers --json` lists them ("map 2026-11-19"); a worker
  // names itself "<host>:<pid>".
  std::vector<std::string> RunningTasks(pid_t worker) {
    const auto r =
        RunCommand({BinaryPath("ct-coordinator"), "workers", "--data-dir", root_, "--json"});
    const Json reply = Json::parse(r.output, nullptr, false);
    std::vector<std::string> tasks;
    if (r.exit_code != 0 || !reply.is_object()) return tasks;
    const std::string suffix = ":" + std::to_string(worker);
    for (const Json& w : reply.value("workers", Json::array())) {
      const std::string name = w.value("name", "");
      if (name.size() <= suffix.size() ||
          name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0) {
        continue;
      }
      for (const Json& t : w.value("running", Json::array())) tasks.push_back(t.value("task", ""));
    }
    return tasks;
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
  const pid_t coordinator = StartCoordinator({"--once"}, log);
  ASSERT_FALSE(endpoint_.empty()) << ReadFile(log);
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
  const pid_t coordinator = StartCoordinator({"--interval", "3600"}, log);
  ASSERT_FALSE(endpoint_.empty()) << ReadFile(log);
  const pid_t a = StartWorker("a.log");
  // Once A holds the big directory's lease, freeze it inside that map, past its lease.
  ASSERT_TRUE(WaitFor(30, [&] {
    for (const std::string& task : RunningTasks(a)) {
      if (task == "map 2026-11-19") return true;
    }
    return false;
  })) << ReadFile(log);
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
  // The restarted coordinator must come back where its workers are waiting:
  // a Unix socket path, which no other process can take while it is down, as
  // a TCP port freed by the kill could be.
  endpoint_ = "ipc://" + tmp_.path() + "/coordinator.ipc";
  const std::string log = tmp_.path() + "/coordinator.log";
  const pid_t workers[] = {StartWorker("a.log"), StartWorker("b.log")};
  const pid_t coordinator = StartProcessLogged(Coordinator({"--once"}, endpoint_), log);
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
  const pid_t restarted = StartProcessLogged(Coordinator({"--once"}, endpoint_), log);
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
  const pid_t coordinator = StartCoordinator(
      {"--once", "--curve-secret-key", keys + "/coordinator.key", "--authorized-keys", authorized},
      log);
  ASSERT_FALSE(endpoint_.empty()) << ReadFile(log);
  const pid_t bad = StartWorker("bad.log", {"--curve-server-key", keys + "/coordinator.pub",
                                            "--curve-secret-key", keys + "/bad.key"});
  // The bad worker has reached the coordinator and its ZAP handler said no
  // (zap_authenticator.cc logs the key it denies).
  const std::string bad_key = ReadFile(keys + "/bad.pub").substr(7, 40);  // "public <z85>"
  ASSERT_TRUE(WaitFor(30, [&] {
    return ReadFile(log).find("denied CURVE client " + bad_key) != std::string::npos;
  })) << ReadFile(log);
  EXPECT_EQ(CountOracles(), 0) << "an unauthorized worker got a task";
  const pid_t good = StartWorker("good.log", {"--curve-server-key", keys + "/coordinator.pub",
                                              "--curve-secret-key", keys + "/good.key"});
  EXPECT_EQ(WaitProcess(coordinator), 0) << ReadFile(log);
  // Denied all along: the whole run, only the good worker joined.
  const std::string text = ReadFile(log);
  EXPECT_EQ(text.find(":" + std::to_string(bad) + " with "), std::string::npos) << text;
  EXPECT_NE(text.find(":" + std::to_string(good) + " with "), std::string::npos) << text;
  for (pid_t w : {bad, good}) {
    ::kill(w, SIGTERM);
    WaitProcess(w);
  }
  ExpectSameReportsAsReduce();
}

TEST_F(DistributedTest, GarbageOnTheSocketIsDropped) {
  Generate(2000, 6);
  const std::string log = tmp_.path() + "/coordinator.log";
  const pid_t coordinator = StartCoordinator({"--once"}, log);
  ASSERT_FALSE(endpoint_.empty()) << ReadFile(log);
  {
    zmq::context_t context;
    zmq::socket_t raw(context, zmq::socket_type::dealer);
    raw.set(zmq::sockopt::linger, 0);
    // The coordinator closing the connection shows here as a disconnect event.
    ASSERT_EQ(zmq_socket_monitor(raw.handle(), "inproc://raw-events", ZMQ_EVENT_DISCONNECTED), 0);
    zmq::socket_t events(context, zmq::socket_type::pair);
    events.set(zmq::sockopt::linger, 0);
    events.set(zmq::sockopt::rcvtimeo, 30'000);
    events.connect("inproc://raw-events");
    raw.connect(endpoint_);
    raw.send(zmq::str_buffer("not a protobuf at all"), zmq::send_flags::none);
    raw.send(zmq::buffer(std::string(4096, '\xff')), zmq::send_flags::none);
    const std::string huge(4 << 20, 'x');  // past ZMQ_MAXMSGSIZE: the peer is dropped
    raw.send(zmq::buffer(huge), zmq::send_flags::none);
    zmq::message_t event;
    ASSERT_TRUE(events.recv(event)) << "the coordinator kept a peer that sent 4 MiB";
    // Both undecodable messages, which came before, were read and dropped.
    EXPECT_TRUE(WaitFor(30, [&] {
      const std::string text = ReadFile(log);
      const std::string dropped = "dropped an undecodable message";
      const size_t first = text.find(dropped);
      return first != std::string::npos && text.find(dropped, first + 1) != std::string::npos;
    })) << ReadFile(log);
  }
  const pid_t worker = StartWorker("w.log");
  EXPECT_EQ(WaitProcess(coordinator), 0) << ReadFile(log);
  ::kill(worker, SIGTERM);
  WaitProcess(worker);
  ExpectSameReportsAsReduce();
}

}  // namespace
}  // namespace ctmr
