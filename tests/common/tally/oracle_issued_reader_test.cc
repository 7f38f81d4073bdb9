#include "common/tally/oracle_issued_reader.h"

#include "common/tally/hash_set.h"
#include "common/tally/oracle_file.h"
#include "gtest/gtest.h"
#include "tests/support/test_support.h"

namespace ctmr::tally {
namespace {

using ::ctmr::testing::TempDir;
using ::ctmr::testing::WriteFile;

HashSet ManyHashes(const std::string& prefix, int n) {
  HashSet s;
  for (int i = 0; i < n; ++i) s.push_back(base::HashBytes(prefix + std::to_string(i)));
  SortUnique(&s);
  return s;
}

DirectoryTally SampleTally() {
  DirectoryTally tally;
  tally.set_format_version(kDirectoryTallyFormat);
  tally.set_directory("2026-12-01");
  FileOffset* f = tally.add_offsets();
  f->set_name("a.pem");
  f->set_offset(1234);
  for (const char* id : {"R10", "WE1"}) {
    IssuerTally* t = tally.add_issuers();
    t->set_issuer_id(id);
    t->set_issuer_name(std::string("CN=") + id + ",O=Org " + id);
    t->set_organization(std::string("Org ") + id);
    // Hash sets large enough that the reader must skip past its buffer.
    t->set_serials(EncodeHashSet(ManyHashes(id, 20000)));
    t->set_fqdns(EncodeHashSet(ManyHashes(std::string(id) + "f", 30000)));
    t->set_wildcards(EncodeHashSet(ManyHashes(std::string(id) + "w", 10)));
    for (int day : {-3, 20000, 20400}) {  // a day before 1970 is a negative int32
      DayCount* d = t->add_issued();
      d->set_day(day);
      d->set_certificates(static_cast<uint64_t>(day + 5000));
    }
  }
  tally.mutable_errors()->set_unparseable_blocks(7);
  return tally;
}

TEST(OracleIssuedReaderTest, ReadsTheIssuedCountsOfEveryIssuer) {
  TempDir tmp;
  const DirectoryTally tally = SampleTally();
  ASSERT_TRUE(CommitOracle(tmp.path(), tally).ok());
  absl::StatusOr<std::optional<DirectoryIssued>> got = LoadOracleIssued(tmp.path());
  ASSERT_TRUE(got.ok()) << got.status();
  ASSERT_TRUE(got->has_value());
  EXPECT_EQ((*got)->directory, "2026-12-01");
  ASSERT_EQ((*got)->issuers.size(), 2u);
  for (int i = 0; i < 2; ++i) {
    const IssuerTally& want = tally.issuers(i);
    const IssuerIssued& is = (*got)->issuers[static_cast<size_t>(i)];
    EXPECT_EQ(is.issuer_id, want.issuer_id());
    EXPECT_EQ(is.issuer_name, want.issuer_name());
    EXPECT_EQ(is.organization, want.organization());
    ASSERT_EQ(is.issued.size(), 3u);
    for (int k = 0; k < 3; ++k) {
      EXPECT_EQ(is.issued[static_cast<size_t>(k)].first, want.issued(k).day());
      EXPECT_EQ(is.issued[static_cast<size_t>(k)].second, want.issued(k).certificates());
    }
  }
}

TEST(OracleIssuedReaderTest, NoTallyAndOtherFormatsAreNone) {
  TempDir tmp;
  absl::StatusOr<std::optional<DirectoryIssued>> none = LoadOracleIssued(tmp.path());
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
  DirectoryTally old = SampleTally();
  old.set_format_version(kDirectoryTallyFormat + 1);
  ASSERT_TRUE(CommitOracle(tmp.path(), old).ok());
  absl::StatusOr<std::optional<DirectoryIssued>> other = LoadOracleIssued(tmp.path());
  ASSERT_TRUE(other.ok());
  EXPECT_FALSE(other->has_value());
}

TEST(OracleIssuedReaderTest, TruncatedOrGarbageIsDataLoss) {
  TempDir tmp;
  std::string bytes;
  ASSERT_TRUE(SampleTally().SerializeToString(&bytes));
  for (const std::string& broken :
       {bytes.substr(0, bytes.size() / 2), bytes.substr(0, 40), std::string("\xff\xff\xff", 3)}) {
    WriteFile(tmp.path() + "/oracle.out", broken);
    absl::StatusOr<std::optional<DirectoryIssued>> got = LoadOracleIssued(tmp.path());
    EXPECT_EQ(got.status().code(), absl::StatusCode::kDataLoss) << broken.size();
  }
}

}  // namespace
}  // namespace ctmr::tally
