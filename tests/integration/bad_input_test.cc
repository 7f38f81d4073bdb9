// Bad input never crashes anything: malformed content is counted, and a file
// that cannot be read fails only its own directory.
#include <sys/stat.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "gtest/gtest.h"
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
