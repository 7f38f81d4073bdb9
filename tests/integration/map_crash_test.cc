// Crash safety of the map: ct-worker killed with SIGKILL at random moments,
// while the input keeps growing, must neither lose nor double-count anything.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <nlohmann/json.hpp>
#include <random>
#include <thread>

#include "gtest/gtest.h"
#include "tests/support/test_support.h"

namespace ctmr {
namespace {

using ::ctmr::testing::BinaryPath;
using ::ctmr::testing::ReadFile;
using ::ctmr::testing::RunCommand;
using ::ctmr::testing::TempDir;

TEST(MapCrashTest, KilledAtRandomMomentsThenFinishedGivesTheSameNumbers) {
  TempDir tmp;
  const std::string full = tmp.path() + "/full";
  auto gen = RunCommand({BinaryPath("ct-gen"), "--out", full, "--certs", "60000", "--days", "2",
                         "--first-date", "2026-12-01", "--as-of", "2026-11-26", "--seed", "3",
                         "--edge-cases"});
  ASSERT_EQ(gen.exit_code, 0) << gen.output;

  // The same data root, grown in 25 appends; after each, a map that is killed
  // somewhere between its start and (about) its end.
  const std::string root = tmp.path() + "/root";
  ::ctmr::testing::CopyTree(full, root);
  std::vector<std::string> dirs, files, contents;
  for (const std::string& d : ::ctmr::testing::ListDir(root)) {
    if (d != "2026-12-01" && d != "2026-12-02") continue;
    dirs.push_back(root + "/" + d);
    for (const std::string& f : ::ctmr::testing::ListDir(root + "/" + d)) {
      files.push_back(root + "/" + d + "/" + f);
      contents.push_back(ReadFile(files.back()));
      ::ctmr::testing::WriteFile(files.back(), "");
    }
  }
  ASSERT_EQ(dirs.size(), 2u);

  // The reference: one uninterrupted map of everything.
  const std::string timing = tmp.path() + "/timing";
  ::ctmr::testing::CopyTree(full, timing);
  auto full_map =
      RunCommand({BinaryPath("ct-worker"), "map", timing + "/2026-12-01", timing + "/2026-12-02"});
  ASSERT_EQ(full_map.exit_code, 0) << full_map.output;

  // Grow the files in kPieces appends; after each, start maps and kill them at
  // a random moment within the time a map has been taking (learned from the
  // maps that finished before their kill), until kKills kills have landed.
  std::mt19937 rng(12345);
  const int kPieces = 25;
  const int kKills = 25;
  double typical_micros = 20000;
  int killed = 0;
  int piece = 0;
  for (int attempt = 0; attempt < 400 && (killed < kKills || piece < kPieces); ++attempt) {
    if (piece < kPieces && (attempt % 2 == 0 || killed >= kKills)) {
      ++piece;
      for (size_t i = 0; i < files.size(); ++i) {
        const size_t from = contents[i].size() * (piece - 1) / kPieces;
        const size_t to = contents[i].size() * piece / kPieces;
        ::ctmr::testing::AppendFile(files[i], contents[i].substr(from, to - from));
      }
    }
    std::vector<std::string> argv = {BinaryPath("ct-worker"), "map"};
    argv.insert(argv.end(), dirs.begin(), dirs.end());
    const auto start = std::chrono::steady_clock::now();
    const pid_t pid = ::ctmr::testing::StartProcess(argv);
    std::this_thread::sleep_for(std::chrono::microseconds(
        static_cast<int64_t>(std::uniform_real_distribution<double>(0, typical_micros)(rng))));
    ::kill(pid, SIGKILL);
    const int status = ::ctmr::testing::WaitProcess(pid);
    const double elapsed =
        std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count();
    if (status == -SIGKILL) {
      ++killed;
      typical_micros *= 1.1;  // spread later kills over more of the run
    } else {
      ASSERT_EQ(status, 0);
      typical_micros = 0.8 * std::min(typical_micros, elapsed);  // it finished: aim earlier
    }
  }
  EXPECT_GE(killed, kKills);
  EXPECT_EQ(piece, kPieces);

  auto finish = RunCommand(
      {BinaryPath("ct-coordinator"), "reduce", "--data-dir", root, "--as-of", "2026-11-26"});
  ASSERT_EQ(finish.exit_code, 0) << finish.output;
  auto reference = RunCommand(
      {BinaryPath("ct-coordinator"), "reduce", "--data-dir", timing, "--as-of", "2026-11-26"});
  ASSERT_EQ(reference.exit_code, 0) << reference.output;
  nlohmann::json a = nlohmann::json::parse(ReadFile(root + "/reports/summary.json"));
  nlohmann::json b = nlohmann::json::parse(ReadFile(timing + "/reports/summary.json"));
  for (auto* j : {&a, &b}) (*j)["directories"].erase("mapped");
  EXPECT_EQ(a, b);
  EXPECT_EQ(ReadFile(root + "/reports/issued-per-day.csv"),
            ReadFile(timing + "/reports/issued-per-day.csv"));
  // And the answers of the generator, for good measure.
  nlohmann::json answers = nlohmann::json::parse(ReadFile(full + "/known-answers.json"));
  EXPECT_EQ(a["totals"]["certs_active"], answers["totals"]["certs_active"]);
  EXPECT_EQ(a["totals"]["fqdns_active"], answers["totals"]["fqdns_active"]);
}

// A map within a small --memory-limit killed while its spill files exist:
// the next map removes them, and commits the same oracle.out, byte for byte,
// as a map without a bound that it reaches; it leaves no spill file either.
TEST(MapCrashTest, KilledWhileSpillingThenMappedAgainGivesTheSameBytes) {
  TempDir tmp;
  const std::string root = tmp.path() + "/root";
  // A limit a little above what the process holds before it maps (the rest is
  // the map's budget, which the certificates overflow): AddressSanitizer's
  // shadow memory makes that ~55 MiB, against ~11 MiB otherwise; and at -O0
  // under it (CI's second pass) a quarter as many certificates keep the time.
#if defined(__SANITIZE_ADDRESS__)
  const std::string limit = "64MiB";
  const std::string certs = "50000";
#else
  const std::string limit = "24MiB";
  const std::string certs = "200000";
#endif
  auto gen =
      RunCommand({BinaryPath("ct-gen"), "--out", root, "--certs", certs, "--days", "1",
                  "--first-date", "2026-11-26", "--as-of", "2026-11-26", "--seed", "4", "--clean"});
  ASSERT_EQ(gen.exit_code, 0) << gen.output;
  const std::string dir = root + "/2026-11-26";
  const auto spill_files = [&] {
    int n = 0;
    for (const std::string& name : ::ctmr::testing::ListDir(dir)) {
      n += name.rfind("oracle.out.spill.", 0) == 0;
    }
    return n;
  };
  auto unbounded = RunCommand({BinaryPath("ct-worker"), "map", "--memory-limit", "64GiB", dir});
  ASSERT_EQ(unbounded.exit_code, 0) << unbounded.output;
  const std::string expected = ReadFile(dir + "/oracle.out");
  ASSERT_EQ(::unlink((dir + "/oracle.out").c_str()), 0);

  // Killed as soon as a spill file is there (the map is then still reading).
  const pid_t pid =
      ::ctmr::testing::StartProcess({BinaryPath("ct-worker"), "map", "--memory-limit", limit, dir});
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  bool ended = false;
  while (spill_files() == 0 && std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) == pid) {
      ended = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ASSERT_FALSE(ended) << "the map ended before it spilled (a limit it refuses?)";
  ::kill(pid, SIGKILL);
  ASSERT_EQ(::ctmr::testing::WaitProcess(pid), -SIGKILL) << "the map ended before its kill";
  ASSERT_GE(spill_files(), 1);
  EXPECT_NE(::access((dir + "/oracle.out").c_str(), F_OK), 0) << "committed before it was killed";

  auto again = RunCommand({BinaryPath("ct-worker"), "map", "--memory-limit", limit, dir});
  ASSERT_EQ(again.exit_code, 0) << again.output;
  EXPECT_NE(again.output.find("runs spilled"), std::string::npos) << again.output;
  EXPECT_EQ(spill_files(), 0);
  EXPECT_TRUE(ReadFile(dir + "/oracle.out") == expected) << "oracle.out differs";
}

}  // namespace
}  // namespace ctmr
