// Bad input never crashes anything: malformed content is counted, and a file
// that cannot be read fails only its own directory.
#include <sys/stat.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "gtest/gtest.h"
#include "tests/support/fifo_guard.h"
#include "tests/support/test_support.h"

namespace ctmr {
namespace {

using ::ctmr::testing::BinaryPath;
using ::ctmr::testing::ReadFile;
using ::ctmr::testing::RunCommand;
using ::ctmr::testing::TempDir;
using Json = nlohmann::json;

TEST(BadInputTest, UnreadableFilesFailTheirDirectoriesOnly) {
  TempDir tmp;
  const std::string root = tmp.path() + "/root";
  auto gen = RunCommand({BinaryPath("ct-gen"), "--out", root, "--certs", "2000", "--days", "6",
                         "--first-date", "2026-11-26", "--as-of", "2026-11-26", "--edge-cases"});
  ASSERT_EQ(gen.exit_code, 0) << gen.output;
  // The same root without the two directories we are about to break.
  const std::string reference = tmp.path() + "/reference";
  ::ctmr::testing::CopyTree(root, reference);
  RunCommand({"/bin/rm", "-rf", reference + "/2026-11-27", reference + "/2026-11-28"});

  ASSERT_EQ(::symlink("/nonexistent/file", (root + "/2026-11-27/dangling.pem").c_str()), 0);
  ASSERT_EQ(::mkdir((root + "/2026-11-28/folder.pem").c_str(), 0755), 0);
  // Malformed but readable: counted, not fatal.
  ::ctmr::testing::WriteFile(root + "/2026-11-29/empty.pem", "");
  ::ctmr::testing::WriteFile(root + "/2026-11-29/truncated.cer", std::string("\x30\x82\x05", 3));
  ::ctmr::testing::WriteFile(reference + "/2026-11-29/empty.pem", "");
  ::ctmr::testing::WriteFile(reference + "/2026-11-29/truncated.cer",
                             std::string("\x30\x82\x05", 3));

  auto r = RunCommand(
      {BinaryPath("ct-coordinator"), "reduce", "--data-dir", root, "--as-of", "2026-11-26"});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("dangling.pem"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("folder.pem"), std::string::npos) << r.output;
  const Json summary = Json::parse(ReadFile(root + "/reports/summary.json"));
  EXPECT_EQ(summary["directories"]["failed"], Json::array({"2026-11-27", "2026-11-28"}));

  auto ok = RunCommand(
      {BinaryPath("ct-coordinator"), "reduce", "--data-dir", reference, "--as-of", "2026-11-26"});
  ASSERT_EQ(ok.exit_code, 0) << ok.output;
  const Json want = Json::parse(ReadFile(reference + "/reports/summary.json"));
  EXPECT_EQ(summary["totals"], want["totals"]);
  EXPECT_EQ(summary["issuers"], want["issuers"]);
  EXPECT_EQ(summary["issued_per_day"], want["issued_per_day"]);
  EXPECT_EQ(summary["errors"]["unparseable_blocks"], want["errors"]["unparseable_blocks"]);
  EXPECT_EQ(summary["errors"]["invalid_date_directories"],
            Json::array({"2026-02-30", "2026-13-45"}));

  // Once the cause is gone, the directories count again.
  ::unlink((root + "/2026-11-27/dangling.pem").c_str());
  ::rmdir((root + "/2026-11-28/folder.pem").c_str());
  auto again = RunCommand(
      {BinaryPath("ct-coordinator"), "reduce", "--data-dir", root, "--as-of", "2026-11-26"});
  EXPECT_EQ(again.exit_code, 0) << again.output;
  EXPECT_EQ(Json::parse(ReadFile(root + "/reports/summary.json"))["directories"]["failed"].size(),
            0u);
}

// A FIFO, a dot-file and a date directory linked out of the root, in every
// command that reads a date directory: nothing blocks, the files are counted
// as skipped, the link is named and nothing is written outside the root.
TEST(BadInputTest, HostileFilesAndLinksInTheDataRoot) {
  TempDir tmp;
  const std::string root = tmp.path() + "/root";
  auto gen = RunCommand({BinaryPath("ct-gen"), "--out", root, "--certs", "500", "--days", "3",
                         "--first-date", "2026-11-26", "--as-of", "2026-11-26"});
  ASSERT_EQ(gen.exit_code, 0) << gen.output;
  const std::string reference = tmp.path() + "/reference";
  ::ctmr::testing::CopyTree(root, reference);

  const std::string dir = root + "/2026-11-27";
  std::string pem;
  for (const std::string& name : ::ctmr::testing::ListDir(dir)) {
    if (name.size() > 4 && name.substr(name.size() - 4) == ".pem") pem = name;
  }
  ASSERT_FALSE(pem.empty());
  const std::string fifo = dir + "/evil.pem";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0644), 0);
  ::ctmr::testing::WriteFile(dir + "/.hidden.pem", ReadFile(dir + "/" + pem));
  const std::string outside = tmp.path() + "/outside";
  ::ctmr::testing::CopyTree(dir, outside);
  RunCommand({"/bin/rm", "-f", outside + "/evil.pem", outside + "/.hidden.pem"});
  ASSERT_EQ(::symlink(outside.c_str(), (root + "/2026-12-20").c_str()), 0);
  const std::vector<std::string> outside_files = ::ctmr::testing::ListDir(outside);

  ::ctmr::testing::CommandResult r;
  EXPECT_TRUE(::ctmr::testing::FinishesWithoutAWriter(fifo, [&] {
    r = RunCommand(
        {BinaryPath("ct-coordinator"), "reduce", "--data-dir", root, "--as-of", "2026-11-26"});
  }));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("2026-12-20"), std::string::npos) << r.output;
  const size_t said = r.output.find("resolves outside the data root");
  EXPECT_NE(said, std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("resolves outside the data root", said + 1), std::string::npos)
      << "said once, though the reduce lists the root twice: " << r.output;
  EXPECT_EQ(::ctmr::testing::ListDir(outside), outside_files);

  auto ok = RunCommand(
      {BinaryPath("ct-coordinator"), "reduce", "--data-dir", reference, "--as-of", "2026-11-26"});
  ASSERT_EQ(ok.exit_code, 0) << ok.output;
  const Json summary = Json::parse(ReadFile(root + "/reports/summary.json"));
  const Json want = Json::parse(ReadFile(reference + "/reports/summary.json"));
  EXPECT_EQ(summary["totals"], want["totals"]);
  EXPECT_EQ(summary["issuers"], want["issuers"]);
  EXPECT_EQ(summary["directories"]["failed"].size(), 0u);
  EXPECT_EQ(summary["errors"]["skipped_files"], want["errors"]["skipped_files"].get<int>() + 2);
  EXPECT_EQ(summary["errors"]["invalid_date_directories"], Json::array({"2026-12-20"}));

  // ct-worker map, given the link itself: a permanent error that names it.
  ::ctmr::testing::CommandResult map;
  EXPECT_TRUE(::ctmr::testing::FinishesWithoutAWriter(fifo, [&] {
    map = RunCommand({BinaryPath("ct-worker"), "map", dir, root + "/2026-12-20"});
  }));
  EXPECT_EQ(map.exit_code, 1) << map.output;
  EXPECT_NE(map.output.find("2026-12-20"), std::string::npos) << map.output;
  EXPECT_EQ(::ctmr::testing::ListDir(outside), outside_files);

  // ct-coordinator run maps on its workers: the FIFO is still stale input
  // to them (it has no offset), and must not block them either.
  ::ctmr::testing::CommandResult run;
  EXPECT_TRUE(::ctmr::testing::FinishesWithoutAWriter(fifo, [&] {
    run = RunCommand(::ctmr::testing::RunOnceArgv(root, "2026-11-26", tmp.path() + "/run-out"));
  }));
  EXPECT_EQ(run.exit_code, 0) << run.output;
  const Json run_summary = Json::parse(ReadFile(tmp.path() + "/run-out/summary.json"));
  EXPECT_EQ(run_summary["totals"], want["totals"]);
  EXPECT_EQ(run_summary["errors"]["invalid_date_directories"], Json::array({"2026-12-20"}));
  EXPECT_EQ(::ctmr::testing::ListDir(outside), outside_files);
}

TEST(BadInputTest, BadUsageExitsTwoWithAMessage) {
  auto no_args = RunCommand({BinaryPath("ct-coordinator")});
  EXPECT_EQ(no_args.exit_code, 2);
  auto bad_date = RunCommand(
      {BinaryPath("ct-coordinator"), "reduce", "--data-dir", "/tmp", "--as-of", "2026-13-45"});
  EXPECT_EQ(bad_date.exit_code, 2);
  EXPECT_NE(bad_date.output.find("--as-of"), std::string::npos) << bad_date.output;
  // Numbers out of range are usage errors, not silent wrap-arounds.
  for (const std::vector<std::string>& argv : std::vector<std::vector<std::string>>{
           {"reduce", "--data-dir", "/tmp", "--as-of", "2026-11-26", "--window-days", "2147483647"},
           {"report", "--data-dir", "/tmp", "--window-days", "36501"},
           {"run", "--data-dir", "/tmp", "--window-days", "99999999"},
           {"run", "--data-dir", "/tmp", "--local-workers", "100000"},
           {"run", "--data-dir", "/tmp", "--max-attempts", "1000000"},
           {"reduce", "--data-dir", "/tmp", "--as-of", "2026-11-26", "--threads", "-1"}}) {
    std::vector<std::string> full = {BinaryPath("ct-coordinator")};
    full.insert(full.end(), argv.begin(), argv.end());
    auto r = RunCommand(full);
    EXPECT_EQ(r.exit_code, 2) << argv[0] << " " << argv[argv.size() - 2] << ": " << r.output;
    EXPECT_NE(r.output.find(argv[argv.size() - 2]), std::string::npos) << r.output;
  }
  auto bad_flag = RunCommand({BinaryPath("ct-worker"), "map", "--frobnicate", "x"});
  EXPECT_EQ(bad_flag.exit_code, 2);
  auto missing_root = RunCommand({BinaryPath("ct-coordinator"), "reduce", "--data-dir",
                                  "/nonexistent/root", "--as-of", "2026-11-26"});
  EXPECT_EQ(missing_root.exit_code, 1);
  EXPECT_NE(missing_root.output.find("/nonexistent/root"), std::string::npos);
}

}  // namespace
}  // namespace ctmr
