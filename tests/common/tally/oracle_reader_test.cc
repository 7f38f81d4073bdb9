#include "common/tally/oracle_reader.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <random>

#include "common/base/file_util.h"
#include "common/tally/oracle_file.h"
#include "google/protobuf/util/message_differencer.h"
#include "tests/support/fifo_guard.h"
#include "tests/support/test_support.h"

namespace ctmr::tally {
namespace {

using ::ctmr::testing::TempDir;

HashSet RandomSet(std::mt19937_64* rng, size_t n) {
  HashSet set;
  for (size_t i = 0; i < n; ++i) set.push_back(base::Hash128{(*rng)(), (*rng)()});
  SortUnique(&set);
  return set;
}

IssuerTally MakeIssuer(std::mt19937_64* rng, const std::string& id, size_t names) {
  IssuerTally t;
  t.set_issuer_id(id);
  t.set_issuer_name("CN=" + id + ",O=Org");
  t.set_organization("Org");
  for (int day : {-3, 20000, 20001, 20005}) {  // a day before 1970 is a negative int32
    DayCount* d = t.add_issued();
    d->set_day(day);
    d->set_certificates(names + static_cast<uint64_t>(day));
  }
  t.set_serials(EncodeHashSet(RandomSet(rng, names + 3)));
  t.set_fqdns(EncodeHashSet(RandomSet(rng, names)));
  t.set_regdomains(EncodeHashSet(RandomSet(rng, names / 2)));
  t.set_wildcards(EncodeHashSet(RandomSet(rng, names / 7)));
  return t;
}

DirectoryTally MakeTally(std::mt19937_64* rng, std::vector<size_t> sizes) {
  DirectoryTally d;
  d.set_format_version(kDirectoryTallyFormat);
  d.set_directory("2026-11-26");
  FileOffset* f = d.add_offsets();
  f->set_name("a.pem");
  f->set_offset(12345);
  for (size_t i = 0; i < sizes.size(); ++i) {
    *d.add_issuers() = MakeIssuer(rng, "issuer" + std::to_string(i), sizes[i]);
  }
  d.mutable_errors()->set_unparseable_blocks(3);
  return d;
}

const std::string& SetOf(const IssuerTally& t, NameSet set) {
  return set == NameSet::kFqdns        ? t.fqdns()
         : set == NameSet::kRegdomains ? t.regdomains()
                                       : t.wildcards();
}

class OracleReaderTest : public ::testing::Test {
 protected:
  std::string Commit(const DirectoryTally& tally) {
    EXPECT_TRUE(CommitOracle(tmp_.path(), tally).ok());
    return tmp_.path() + "/" + kOracleFileName;
  }
  OracleReader OpenOrDie(const std::string& path) {
    absl::StatusOr<std::optional<OracleReader>> r = OracleReader::Open(path);
    EXPECT_TRUE(r.ok()) << r.status();
    EXPECT_TRUE(r->has_value());
    return std::move(**r);
  }
  TempDir tmp_;
  std::mt19937_64 rng_{11};
};

TEST_F(OracleReaderTest, HeaderIsTheTallyWithoutItsSets) {
  const DirectoryTally tally = MakeTally(&rng_, {100, 0, 3000});
  OracleReader reader = OpenOrDie(Commit(tally));
  DirectoryTally want_header = tally;
  want_header.clear_issuers();
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(reader.header(), want_header));
  ASSERT_EQ(reader.issuers().size(), 3u);
  for (int i = 0; i < 3; ++i) {
    IssuerTally want = tally.issuers(i);
    const OracleIssuer& got = reader.issuers()[static_cast<size_t>(i)];
    EXPECT_EQ(got.serials.count, want.serials().size() / 16);
    EXPECT_EQ(got.fqdns.count, want.fqdns().size() / 16);
    EXPECT_EQ(got.regdomains.count, want.regdomains().size() / 16);
    EXPECT_EQ(got.wildcards.count, want.wildcards().size() / 16);
    want.clear_serials();
    want.clear_fqdns();
    want.clear_regdomains();
    want.clear_wildcards();
    EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(got.header, want)) << i;
  }
}

TEST_F(OracleReaderTest, RangesReadExactlyTheirRecords) {
  const std::vector<size_t> sizes = {0, 1, 2, 255, 256, 257, 5000};
  const DirectoryTally tally = MakeTally(&rng_, sizes);
  OracleReader reader = OpenOrDie(Commit(tally));
  for (size_t i = 0; i < sizes.size(); ++i) {
    for (NameSet kind : kNameSets) {
      const HashSet all = *DecodeHashSet(SetOf(tally.issuers(static_cast<int>(i)), kind));
      const SetSpan& span = reader.issuers()[i].names(kind);
      for (uint32_t n : {1u, 2u, 3u, 16u, 97u}) {
        HashSet joined;
        for (uint32_t s = 0; s < n; ++s) {
          const HashRange range = ShardRange(s, n);
          absl::StatusOr<std::pair<uint64_t, uint64_t>> at = reader.Locate(span, range);
          ASSERT_TRUE(at.ok()) << at.status();
          HashSet want;
          std::copy_if(all.begin(), all.end(), std::back_inserter(want),
                       [&](const base::Hash128& h) { return range.Contains(h); });
          HashSet got;
          ASSERT_TRUE(reader.Read(span, at->first, at->second, &got).ok());
          ASSERT_EQ(got, want) << "issuer " << i << " shard " << s << "/" << n;
          joined.insert(joined.end(), got.begin(), got.end());
        }
        EXPECT_EQ(joined, all);
      }
    }
  }
}

TEST_F(OracleReaderTest, RangeBoundsOnRecordsAreInclusive) {
  const DirectoryTally tally = MakeTally(&rng_, {600});
  OracleReader reader = OpenOrDie(Commit(tally));
  const HashSet all = *DecodeHashSet(tally.issuers(0).fqdns());
  const SetSpan& span = reader.issuers()[0].fqdns;
  for (size_t a : {size_t{0}, size_t{5}, size_t{300}, size_t{599}}) {
    for (size_t b : {a, a + 1, a + 250}) {
      if (b >= all.size()) continue;
      absl::StatusOr<std::pair<uint64_t, uint64_t>> at =
          reader.Locate(span, HashRange{all[a], all[b]});
      ASSERT_TRUE(at.ok());
      EXPECT_EQ(at->first, a);
      EXPECT_EQ(at->second, b + 1);
    }
  }
}

TEST_F(OracleReaderTest, MissingFileOrOtherFormatIsNoTally) {
  absl::StatusOr<std::optional<OracleReader>> none = OracleReader::Open(tmp_.path() + "/nothing");
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
  DirectoryTally old = MakeTally(&rng_, {5});
  old.set_format_version(kDirectoryTallyFormat + 1);
  absl::StatusOr<std::optional<OracleReader>> other = OracleReader::Open(Commit(old));
  ASSERT_TRUE(other.ok());
  EXPECT_FALSE(other->has_value());
}

TEST_F(OracleReaderTest, CorruptFilesAreDataLoss) {
  const DirectoryTally tally = MakeTally(&rng_, {50, 50});
  const std::string path = Commit(tally);
  const std::string bytes = ::ctmr::testing::ReadFile(path);
  // Cut short anywhere but at a field boundary, it does not parse.
  for (size_t cut : {bytes.size() - 1, bytes.size() / 2, size_t{3}}) {
    ::ctmr::testing::WriteFile(path, bytes.substr(0, cut));
    absl::StatusOr<std::optional<OracleReader>> r = OracleReader::Open(path);
    EXPECT_EQ(r.status().code(), absl::StatusCode::kDataLoss) << cut;
  }
  ::ctmr::testing::WriteFile(path, std::string(64, '\xff'));
  EXPECT_EQ(OracleReader::Open(path).status().code(), absl::StatusCode::kDataLoss);

  // A set that is not whole records.
  DirectoryTally ragged = tally;
  ragged.mutable_issuers(1)->mutable_fqdns()->append("x");
  absl::StatusOr<std::optional<OracleReader>> r = OracleReader::Open(Commit(ragged));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(r.status().message().find("16-byte records"), std::string::npos) << r.status();

  // A set out of order is found when its records are read.
  DirectoryTally unsorted = tally;
  HashSet set = *DecodeHashSet(tally.issuers(0).fqdns());
  std::swap(set[10], set[11]);
  std::string encoded;
  for (const base::Hash128& h : set) base::AppendHash(h, &encoded);
  unsorted.mutable_issuers(0)->set_fqdns(encoded);
  OracleReader reader = OpenOrDie(Commit(unsorted));
  HashSet out;
  EXPECT_EQ(reader.Read(reader.issuers()[0].fqdns, 0, 50, &out).code(),
            absl::StatusCode::kDataLoss);
  EXPECT_TRUE(out.empty());
}

// The payload alone (a file of an older version, or one cut exactly before
// its trailer) parses, but is not a tally: it has no trailer.
TEST_F(OracleReaderTest, AFileWithoutItsTrailerIsDataLoss) {
  const DirectoryTally tally = MakeTally(&rng_, {50, 50});
  const std::string path = Commit(tally);
  const std::string bytes = ::ctmr::testing::ReadFile(path);
  ASSERT_GT(bytes.size(), kOracleTrailerSize);
  for (size_t cut : {bytes.size() - kOracleTrailerSize, bytes.size() - 1,
                     bytes.size() - kOracleTrailerSize / 2}) {
    ::ctmr::testing::WriteFile(path, bytes.substr(0, cut));
    EXPECT_EQ(OracleReader::Open(path).status().code(), absl::StatusCode::kDataLoss) << cut;
    EXPECT_EQ(LoadOracle(tmp_.path()).status().code(), absl::StatusCode::kDataLoss) << cut;
  }
  // A longer file: its trailer is not at its end.
  ::ctmr::testing::WriteFile(path, bytes + "x");
  EXPECT_EQ(OracleReader::Open(path).status().code(), absl::StatusCode::kDataLoss);
}

TEST_F(OracleReaderTest, AChangedByteFailsTheChecksum) {
  const DirectoryTally tally = MakeTally(&rng_, {3000, 50});
  const std::string path = Commit(tally);
  OracleReader intact = OpenOrDie(path);
  EXPECT_TRUE(intact.VerifyChecksum().ok());
  std::string bytes = ::ctmr::testing::ReadFile(path);
  // Inside a hash set: the sets are not parsed on Open, only checksummed.
  const OracleIssuer& first = intact.issuers()[0];
  bytes[first.fqdns.offset + 100] ^= 0x40;
  ::ctmr::testing::WriteFile(path, bytes);
  OracleReader changed = OpenOrDie(path);
  const absl::Status verified = changed.VerifyChecksum();
  EXPECT_EQ(verified.code(), absl::StatusCode::kDataLoss) << verified;
  EXPECT_NE(verified.message().find("checksum"), std::string::npos) << verified;
  EXPECT_EQ(LoadOracle(tmp_.path()).status().code(), absl::StatusCode::kDataLoss);
}

// A FIFO planted as oracle.out: refused at once, never waited on (the map
// then maps the directory again and its rename replaces the FIFO).
TEST_F(OracleReaderTest, AFifoIsNotATallyAndIsNotWaitedOn) {
  const std::string path = tmp_.path() + "/" + kOracleFileName;
  ASSERT_EQ(::mkfifo(path.c_str(), 0644), 0);
  absl::StatusCode opened = absl::StatusCode::kOk, loaded = absl::StatusCode::kOk;
  EXPECT_TRUE(::ctmr::testing::FinishesWithoutAWriter(path, [&] {
    opened = OracleReader::Open(path).status().code();
    loaded = LoadOracle(tmp_.path()).status().code();
  }));
  EXPECT_EQ(opened, absl::StatusCode::kDataLoss);
  EXPECT_EQ(loaded, absl::StatusCode::kDataLoss);
}

// A FIFO named like input is skipped by the map, so it never makes its
// directory look stale (it did: every reduce mapped the directory again).
TEST_F(OracleReaderTest, AFifoNamedLikeInputIsNotNewInput) {
  const DirectoryTally tally = MakeTally(&rng_, {5});
  Commit(tally);
  ASSERT_EQ(::mkfifo((tmp_.path() + "/evil.pem").c_str(), 0644), 0);
  absl::StatusOr<bool> needs = NeedsMapping(tmp_.path(), tally);
  ASSERT_TRUE(needs.ok()) << needs.status();
  EXPECT_FALSE(*needs);
}

TEST_F(OracleReaderTest, KeepsReadingTheFileItOpened) {
  const DirectoryTally first = MakeTally(&rng_, {40});
  OracleReader reader = OpenOrDie(Commit(first));
  Commit(MakeTally(&rng_, {7}));  // a map commits a new oracle.out (a rename)
  HashSet got;
  ASSERT_TRUE(reader.Read(reader.issuers()[0].fqdns, 0, 40, &got).ok());
  EXPECT_EQ(got, *DecodeHashSet(first.issuers(0).fqdns()));
}

}  // namespace
}  // namespace ctmr::tally
