// DirectoryMapper within a memory budget: a map that spills sorted runs
// commits the same oracle.out, byte for byte, as one that holds everything,
// from one map or from many maps of a growing directory, and leaves no spill
// file behind.
#include <sys/stat.h>

#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "common/map/directory_mapper.h"
#include "common/tally/oracle_file.h"
#include "gtest/gtest.h"
#include "tests/support/test_support.h"
#include "tools/ct_gen/corpus.h"
#include "tools/ct_gen/dates.h"

namespace ctmr::map {
namespace {

using ::ctmr::testing::AppendFile;
using ::ctmr::testing::ListDir;
using ::ctmr::testing::ReadFile;
using ::ctmr::testing::TempDir;
using ::ctmr::testing::WriteFile;

constexpr uint64_t kTinyBudget = 16 << 20;

class DirectoryMapperSpillTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto list = names::PublicSuffixList::LoadLatest();
    ASSERT_TRUE(list.ok()) << list.status();
    suffixes_ = list->release();
  }
  static void TearDownTestSuite() { delete suffixes_; }

  // A ct-gen corpus under tmp_/name; returns its options.
  ctgen::GenOptions Generate(const std::string& name, uint64_t certs, int64_t days, bool edge_cases,
                             uint64_t* distinct) {
    ctgen::GenOptions options;
    options.root = tmp_.path() + "/" + name;
    options.certs = certs;
    options.seed = 7;
    options.as_of_day = *ctgen::ParseDate("2026-11-26");
    options.first_day = options.as_of_day;
    options.days = days;
    options.edge_cases = edge_cases;
    options.answers_path = tmp_.path() + "/" + name + "-answers.json";
    ctgen::Corpus corpus(options);
    EXPECT_TRUE(corpus.Generate().ok());
    if (distinct != nullptr) *distinct = corpus.answers().certificates_written();
    return options;
  }

  MapStats MapOk(const std::string& dir, uint64_t budget) {
    DirectoryMapper mapper(suffixes_, x509::CertificateDecoder::Mode::kFastWithFallback, budget);
    absl::StatusOr<MapStats> stats = mapper.Map(dir);
    EXPECT_TRUE(stats.ok()) << stats.status();
    return stats.ok() ? *stats : MapStats{};
  }

  static void ClearTally(const std::string& dir) {
    ::unlink((dir + "/" + tally::kOracleFileName).c_str());
    ::unlink((dir + "/" + tally::kOracleOffsetsFileName).c_str());
  }

  static int SpillFiles(const std::string& dir) {
    int n = 0;
    for (const std::string& name : ListDir(dir)) n += absl::StartsWith(name, "oracle.out.spill.");
    return n;
  }

  static std::string OracleBytes(const std::string& dir) {
    return ReadFile(dir + "/" + tally::kOracleFileName);
  }

  static names::PublicSuffixList* suffixes_;
  TempDir tmp_;
};

names::PublicSuffixList* DirectoryMapperSpillTest::suffixes_ = nullptr;

// 200,000 certificates in one directory under a 16 MiB budget: runs spilled,
// the same bytes as the map without a budget (and as the protobuf library
// writes the same tally: the bytes of the map before it streamed), and every
// distinct certificate of ct-gen's answers counted once.
TEST_F(DirectoryMapperSpillTest, TinyBudgetSpillsAndCommitsTheSameBytes) {
  // Under AddressSanitizer at -O0 (CI's second pass) a quarter as many
  // certificates under a quarter of the budget, which still spill several
  // runs, keep the pass's time.
#if defined(__SANITIZE_ADDRESS__)
  constexpr int kCertificates = 50000;
  constexpr uint64_t kBudget = kTinyBudget / 4;
#else
  constexpr int kCertificates = 200000;
  constexpr uint64_t kBudget = kTinyBudget;
#endif
  uint64_t distinct = 0;
  const ctgen::GenOptions options = Generate("clean", kCertificates, 1, false, &distinct);
  const std::string dir = options.root + "/" + ctgen::FormatDate(options.first_day);

  const MapStats unbounded = MapOk(dir, kUnboundedMap);
  EXPECT_EQ(unbounded.spilled_runs, 0u);
  EXPECT_EQ(unbounded.certificates, distinct);
  const std::string expected = OracleBytes(dir);
  ASSERT_FALSE(expected.empty());

  ClearTally(dir);
  const MapStats bounded = MapOk(dir, kBudget);
  EXPECT_GE(bounded.spilled_runs, 2u);
  EXPECT_EQ(bounded.certificates, distinct);
  EXPECT_EQ(bounded.duplicates, unbounded.duplicates);
  EXPECT_EQ(bounded.skipped_files, 0u);
  EXPECT_TRUE(OracleBytes(dir) == expected) << "oracle.out differs from the unbounded map's";
  EXPECT_EQ(SpillFiles(dir), 0);

  // CommitOracle serializes the parsed tally with the protobuf library.
  auto parsed = tally::LoadOracle(dir);
  ASSERT_TRUE(parsed.ok() && parsed->has_value()) << parsed.status();
  const std::string again = tmp_.path() + "/again";
  ASSERT_EQ(::mkdir(again.c_str(), 0755), 0);
  ASSERT_TRUE(tally::CommitOracle(again, **parsed).ok());
  EXPECT_TRUE(OracleBytes(again) == expected);
}

// ct-gen's edge cases (precertificates and their finals, copies from several
// logs, .cer beside .pem, names only in a duplicate) in every directory,
// under a budget so small that the map spills every few thousand
// certificates: the same bytes, so the same "first seen" certificate of each
// serial; and a growing directory mapped after each of 5 appends under that
// budget ends with the same bytes as one map.
TEST_F(DirectoryMapperSpillTest, EdgeCasesAndPiecesUnderATinyBudget) {
  const ctgen::GenOptions options = Generate("edge", 20000, 2, true, nullptr);
  int spilled = 0;
  for (const std::string& name : ListDir(options.root)) {
    const std::string dir = options.root + "/" + name;
    struct stat st;
    if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode) || name == "issuers") continue;
    SCOPED_TRACE(name);
    MapOk(dir, kUnboundedMap);
    const std::string expected = OracleBytes(dir);
    ClearTally(dir);
    spilled += MapOk(dir, 1 << 20).spilled_runs > 0;
    EXPECT_TRUE(OracleBytes(dir) == expected);
    EXPECT_EQ(SpillFiles(dir), 0);

    // The same files, grown in 5 appends, mapped (and spilled) after each.
    const std::string grown = tmp_.path() + "/grown-" + name;
    ASSERT_EQ(::mkdir(grown.c_str(), 0755), 0);
    std::vector<std::string> files, contents;
    for (const std::string& f : ListDir(dir)) {
      if (absl::StartsWith(f, "oracle.out")) continue;
      files.push_back(f);
      contents.push_back(ReadFile(dir + "/" + f));
      WriteFile(grown + "/" + f, "");
    }
    constexpr int kPieces = 5;
    for (int piece = 1; piece <= kPieces; ++piece) {
      for (size_t i = 0; i < files.size(); ++i) {
        const size_t from = contents[i].size() * (piece - 1) / kPieces;
        const size_t to = contents[i].size() * piece / kPieces;
        AppendFile(grown + "/" + files[i], contents[i].substr(from, to - from));
      }
      MapOk(grown, 1 << 20);
      EXPECT_EQ(SpillFiles(grown), 0);
    }
    // The directory's name is in the tally: compare with the original's
    // tally written under the grown directory's name.
    auto one = tally::LoadOracle(dir);
    auto pieces = tally::LoadOracle(grown);
    ASSERT_TRUE(one.ok() && one->has_value() && pieces.ok() && pieces->has_value());
    (*one)->set_directory((*pieces)->directory());
    EXPECT_EQ((*one)->SerializeAsString(), (*pieces)->SerializeAsString());
  }
  EXPECT_GE(spilled, 1);
}

}  // namespace
}  // namespace ctmr::map
