// The real ct-worker binary: `compact` turns a date directory's PEM files into
// segments, `cat` prints them back as PEM that openssl-style tools read, and
// both exit 0 / 1 / 2 as DESIGN.md §4 says.
#include <filesystem>
#include <string>

#include "gtest/gtest.h"
#include "tests/support/test_support.h"

namespace ctmr {
namespace {

using ::ctmr::testing::BinaryPath;
using ::ctmr::testing::ReadFile;
using ::ctmr::testing::RunCommand;
using ::ctmr::testing::TempDir;
using ::ctmr::testing::WriteFile;

int CountOf(const std::string& text, const std::string& what) {
  int n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

TEST(SegmentCliTest, CompactThenCat) {
  TempDir tmp;
  const std::string dir = tmp.path() + "/root/2026-01-01";
  std::filesystem::create_directories(dir);
  const char* src = std::getenv("CT_SOURCE_DIR");
  const std::string pem =
      ReadFile(std::string(src ? src : ".") + "/tests/data/certs/navigli2025h2-tiles-000-001.pem");
  ASSERT_EQ(CountOf(pem, "-----BEGIN CERTIFICATE-----"), 512);
  WriteFile(dir + "/ISSUER.pem", pem + pem);  // every certificate twice

  auto compact = RunCommand({BinaryPath("ct-worker"), "compact", dir});
  ASSERT_EQ(compact.exit_code, 0) << compact.output;
  EXPECT_NE(compact.output.find("512 duplicates removed"), std::string::npos) << compact.output;
  EXPECT_FALSE(std::filesystem::exists(dir + "/ISSUER.pem"));
  ASSERT_TRUE(std::filesystem::exists(dir + "/ISSUER.ctseg"));

  const std::string out = tmp.path() + "/out.pem";
  auto cat = RunCommand(
      {"/bin/sh", "-c", "\"$0\" cat \"$1\" > \"$2\"", BinaryPath("ct-worker"), dir, out});
  ASSERT_EQ(cat.exit_code, 0) << cat.output;
  EXPECT_EQ(CountOf(ReadFile(out), "-----BEGIN CERTIFICATE-----"), 512);

  // A damaged segment: cat names the file and offset on stderr, goes on, exits 1.
  std::string bytes = ReadFile(dir + "/ISSUER.ctseg");
  bytes[40] ^= 0x55;
  WriteFile(dir + "/ISSUER.ctseg", bytes);
  auto bad = RunCommand({"/bin/sh", "-c", "\"$0\" cat \"$1\" > /dev/null", BinaryPath("ct-worker"),
                         dir + "/ISSUER.ctseg"});
  EXPECT_EQ(bad.exit_code, 1) << bad.output;
  EXPECT_NE(bad.output.find("ISSUER.ctseg: bad block at offset 0"), std::string::npos)
      << bad.output;
}

TEST(SegmentCliTest, ExitCodes) {
  TempDir tmp;
  EXPECT_EQ(RunCommand({BinaryPath("ct-worker"), "cat"}).exit_code, 2);
  EXPECT_EQ(RunCommand({BinaryPath("ct-worker"), "compact"}).exit_code, 2);
  EXPECT_EQ(RunCommand({BinaryPath("ct-worker"), "cat", tmp.path() + "/missing.ctseg"}).exit_code,
            1);
  EXPECT_EQ(RunCommand({BinaryPath("ct-worker"), "compact", tmp.path() + "/missing"}).exit_code, 1);
  // A running ct-fetch (its lock on the data root) makes compact refuse.
  const std::string dir = tmp.path() + "/root/2026-01-01";
  std::filesystem::create_directories(dir);
  std::filesystem::create_directories(tmp.path() + "/root/state");
  WriteFile(dir + "/ISSUER.pem", "");
  auto held = RunCommand({"/usr/bin/flock", "-o", tmp.path() + "/root/state/ct-fetch.lock",
                          BinaryPath("ct-worker"), "compact", dir});
  EXPECT_EQ(held.exit_code, 1) << held.output;
  EXPECT_NE(held.output.find("a running ct-fetch"), std::string::npos) << held.output;
  EXPECT_TRUE(std::filesystem::exists(dir + "/ISSUER.pem"));
}

}  // namespace
}  // namespace ctmr
