#include "coordinator/cli/operator_commands.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>

#include <nlohmann/json.hpp>
#include <string>

#include "coordinator/service/run_state.h"
#include "tests/support/test_support.h"

namespace ctmr::cli {
namespace {

using ::ctmr::testing::BinaryPath;
using ::ctmr::testing::ReadFile;
using ::ctmr::testing::RunCommand;
using ::ctmr::testing::StartProcessLogged;
using ::ctmr::testing::TempDir;
using ::ctmr::testing::WaitFor;
using ::ctmr::testing::WaitProcess;
using Json = nlohmann::json;

// No coordinator runs on these roots: every command falls back to the state file.
class OperatorFallbackTest : public ::testing::Test {
 protected:
  void SetUp() override {
    service::RunState state;
    state.failed["2026-11-22"] = service::FailedDirectory{
        3, "PERMANENT", "2026-11-22/dangling.pem: No such file or directory", "fp",
        "2026-11-26T10:00:00Z"};
    state.last_run.run_id = "20261126T100000Z-7";
    state.last_run.as_of = "2026-11-26";
    state.last_run.map_tasks = 8;
    state.last_run.mapped = 7;
    state.last_run.failed = 1;
    ASSERT_TRUE(service::SaveRunState(service::RunStatePath(tmp_.path()), state).ok());
  }

  OperatorOptions Options(bool json = false) {
    OperatorOptions o;
    o.data_dir = tmp_.path();
    o.json = json;
    return o;
  }

  TempDir tmp_;
};

TEST_F(OperatorFallbackTest, StatusShowsFailedDirectoriesAndTheLastRun) {
  const OperatorOutput out = StatusCommand(Options());
  EXPECT_EQ(out.exit_code, 0) << out.err;
  EXPECT_NE(out.out.find("no coordinator is running"), std::string::npos) << out.out;
  EXPECT_NE(out.out.find("2026-11-22"), std::string::npos) << out.out;
  EXPECT_NE(out.out.find("attempts 3"), std::string::npos) << out.out;
  EXPECT_NE(out.out.find("dangling.pem"), std::string::npos) << out.out;
  EXPECT_NE(out.out.find("20261126T100000Z-7"), std::string::npos) << out.out;

  const OperatorOutput json = StatusCommand(Options(true));
  ASSERT_EQ(json.exit_code, 0) << json.err;
  const Json s = Json::parse(json.out);
  EXPECT_EQ(s["running"], false);
  EXPECT_EQ(s["directories"]["failed"]["details"][0]["name"], "2026-11-22");
  EXPECT_EQ(s["directories"]["failed"]["details"][0]["attempts"], 3);
  EXPECT_EQ(s["last_run"]["mapped"], 7);
}

TEST_F(OperatorFallbackTest, RequeueFailedWritesAStar) {
  const OperatorOutput out = RequeueCommand(Options(), true, {});
  EXPECT_EQ(out.exit_code, 0) << out.err;
  EXPECT_NE(out.out.find("2026-11-22"), std::string::npos) << out.out;
  absl::StatusOr<service::RunState> state =
      service::LoadRunState(service::RunStatePath(tmp_.path()));
  ASSERT_TRUE(state.ok());
  EXPECT_EQ(state->requeue, std::set<std::string>({"*"}));
  EXPECT_EQ(state->failed.size(), 1u);  // cleared by the next run, not here
  EXPECT_EQ(state->last_run.run_id, "20261126T100000Z-7");
}

TEST_F(OperatorFallbackTest, RequeueNamedDirectoriesWritesTheirNames) {
  const OperatorOutput out =
      RequeueCommand(Options(), false, {tmp_.path() + "/2026-11-22/", "2026-11-23"});
  EXPECT_EQ(out.exit_code, 0) << out.err;
  EXPECT_NE(out.out.find("not failed (nothing to requeue): 2026-11-23"), std::string::npos)
      << out.out;
  absl::StatusOr<service::RunState> state =
      service::LoadRunState(service::RunStatePath(tmp_.path()));
  ASSERT_TRUE(state.ok());
  EXPECT_EQ(state->requeue, std::set<std::string>({"2026-11-22", "2026-11-23"}));
  // ApplyRequeue, as the next run does, clears just the failed one.
  EXPECT_EQ(service::ApplyRequeue(*state), std::vector<std::string>({"2026-11-22"}));
}

TEST_F(OperatorFallbackTest, WorkersAndDrainNeedARunningCoordinator) {
  const OperatorOutput workers = WorkersCommand(Options());
  EXPECT_EQ(workers.exit_code, 1);
  EXPECT_NE(workers.err.find("no coordinator is running"), std::string::npos) << workers.err;
  const OperatorOutput drain = DrainCommand(Options(), "host:1");
  EXPECT_EQ(drain.exit_code, 1);
  EXPECT_NE(drain.err.find("no coordinator is running"), std::string::npos) << drain.err;
}

TEST_F(OperatorFallbackTest, BadUsage) {
  OperatorOptions missing = Options();
  missing.data_dir = tmp_.path() + "/missing";
  EXPECT_EQ(StatusCommand(missing).exit_code, 2);
  EXPECT_EQ(RequeueCommand(Options(), true, {"2026-11-22"}).exit_code, 2);
  EXPECT_EQ(RequeueCommand(Options(), false, {}).exit_code, 2);
}

TEST(OperatorCommandsTest, TalksToARunningCoordinator) {
  TempDir tmp;
  const std::string root = tmp.path() + "/root";
  auto gen = RunCommand({BinaryPath("ct-gen"), "--out", root, "--certs", "500", "--days", "3",
                         "--as-of", "2026-11-26", "--edge-cases"});
  ASSERT_EQ(gen.exit_code, 0) << gen.output;
  const std::string log = tmp.path() + "/coordinator.log";
  // No worker connects: the first cycle's map tasks stay queued.
  const pid_t coordinator =
      StartProcessLogged({BinaryPath("ct-coordinator"), "run", "--data-dir", root, "--as-of",
                          "2026-11-26", "--interval", "3600"},
                         log);
  const std::vector<std::string> status = {BinaryPath("ct-coordinator"), "status", "--data-dir",
                                           root, "--json"};
  Json s;
  EXPECT_TRUE(WaitFor(20,
                      [&] {
                        const auto r = RunCommand(status);
                        if (r.exit_code != 0) return false;
                        s = Json::parse(r.output, nullptr, false);
                        return s.is_object() && s.value("running", false) &&
                               s["directories"]["queued"]["count"].get<int>() > 0;
                      }))
      << s.dump() << ReadFile(log);
  EXPECT_EQ(s["as_of"], "2026-11-26");
  EXPECT_EQ(s["phase"], "map");
  EXPECT_EQ(s["directories"]["leased"]["count"], 0);
  EXPECT_EQ(s["workers"], Json::array());

  const auto human = RunCommand({BinaryPath("ct-coordinator"), "status", "--data-dir", root});
  EXPECT_EQ(human.exit_code, 0) << human.output;
  EXPECT_NE(human.output.find("coordinator running"), std::string::npos) << human.output;

  const auto workers = RunCommand({BinaryPath("ct-coordinator"), "workers", "--data-dir", root});
  EXPECT_EQ(workers.exit_code, 0) << workers.output;
  EXPECT_NE(workers.output.find("none connected"), std::string::npos) << workers.output;
  const auto workers_json =
      RunCommand({BinaryPath("ct-coordinator"), "workers", "--data-dir", root, "--json"});
  EXPECT_EQ(Json::parse(workers_json.output, nullptr, false)["workers"], Json::array())
      << workers_json.output;

  const auto drain =
      RunCommand({BinaryPath("ct-coordinator"), "drain", "--data-dir", root, "nobody:1"});
  EXPECT_EQ(drain.exit_code, 1) << drain.output;
  const auto requeue =
      RunCommand({BinaryPath("ct-coordinator"), "requeue", "--data-dir", root, "--failed"});
  EXPECT_EQ(requeue.exit_code, 0) << requeue.output;
  EXPECT_NE(requeue.output.find("nothing failed"), std::string::npos) << requeue.output;

  ::kill(coordinator, SIGTERM);
  EXPECT_EQ(WaitProcess(coordinator), 0) << ReadFile(log);
  struct stat st;
  EXPECT_NE(::stat((root + "/state/control.ipc").c_str(), &st), 0) << "socket file left behind";
}

}  // namespace
}  // namespace ctmr::cli
