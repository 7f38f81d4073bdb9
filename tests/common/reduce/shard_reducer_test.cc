#include "common/reduce/shard_reducer.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <functional>
#include <random>

#include "common/tally/oracle_file.h"
#include "tests/support/test_support.h"

namespace ctmr::reduce {
namespace {

using ::ctmr::testing::TempDir;

void ExpectSameStats(const ReduceStats& got, const ReduceStats& want) {
  const auto same = [](const ActiveCounts& a, const ActiveCounts& b) {
    return a.certs == b.certs && a.fqdns == b.fqdns && a.regdomains == b.regdomains &&
           a.wildcards == b.wildcards;
  };
  EXPECT_TRUE(same(got.totals, want.totals))
      << got.totals.fqdns << " " << want.totals.fqdns << " / " << got.totals.regdomains << " "
      << want.totals.regdomains << " / " << got.totals.wildcards << " " << want.totals.wildcards;
  ASSERT_EQ(got.issuers.size(), want.issuers.size());
  for (size_t i = 0; i < got.issuers.size(); ++i) {
    EXPECT_EQ(got.issuers[i].issuer_id, want.issuers[i].issuer_id);
    EXPECT_EQ(got.issuers[i].issuer_name, want.issuers[i].issuer_name);
    EXPECT_EQ(got.issuers[i].organization, want.issuers[i].organization);
    EXPECT_TRUE(same(got.issuers[i].active, want.issuers[i].active)) << want.issuers[i].issuer_id;
  }
  ASSERT_EQ(got.organizations.size(), want.organizations.size());
  for (size_t i = 0; i < got.organizations.size(); ++i) {
    EXPECT_EQ(got.organizations[i].organization, want.organizations[i].organization);
    EXPECT_TRUE(same(got.organizations[i].active, want.organizations[i].active))
        << want.organizations[i].organization;
  }
  EXPECT_EQ(got.issued_per_day, want.issued_per_day);
  EXPECT_EQ(got.issued_per_day_by_issuer, want.issued_per_day_by_issuer);
  EXPECT_EQ(got.issuer_names, want.issuer_names);
  EXPECT_EQ(got.active_directories, want.active_directories);
  EXPECT_EQ(got.unparseable_blocks, want.unparseable_blocks);
  EXPECT_EQ(got.skipped_files, want.skipped_files);
}

// Directories of tallies whose names overlap across issuers, organizations and
// directories, with the odd cases: an issuer without O, one seen only in an
// expired directory, one with names but no certificates.
class ShardReducerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::mt19937_64 rng(3);
    // A pool of names: sets draw from it, so unions are smaller than sums.
    std::vector<base::Hash128> pool;
    pool.reserve(6000);
    for (int i = 0; i < 6000; ++i) pool.push_back(base::HashBytes("name" + std::to_string(i)));
    const auto draw = [&](size_t n) {
      tally::HashSet s;
      for (size_t i = 0; i < n; ++i) s.push_back(pool[rng() % pool.size()]);
      tally::SortUnique(&s);
      return tally::EncodeHashSet(s);
    };
    struct Issuer {
      const char* id;
      const char* name;
      const char* org;
    };
    const Issuer issuers[] = {{"R10", "CN=R10,O=Let's Encrypt", "Let's Encrypt"},
                              {"R11", "CN=R11,O=Let's Encrypt", "Let's Encrypt"},
                              {"WE1", "CN=WE1,O=Google Trust Services", "Google Trust Services"},
                              {"NoO", "CN=Lonely CA", ""},
                              {"Old", "CN=Old,O=Gone", "Gone"},
                              {"Ghost", "CN=Ghost,O=Phantom", "Phantom"}};
    for (int d = 0; d < 9; ++d) {
      DirectoryTally t;
      t.set_format_version(tally::kDirectoryTallyFormat);
      const std::string name = "2026-12-0" + std::to_string(d + 1);
      t.set_directory(name);
      for (const Issuer& i : issuers) {
        if (std::string(i.id) == "Old" && d != 0) continue;  // expired directory only
        if (rng() % 5 == 0 && std::string(i.id) != "Ghost") continue;
        IssuerTally* it = t.add_issuers();
        it->set_issuer_id(i.id);
        it->set_issuer_name(i.name);
        it->set_organization(i.org);
        DayCount* day = it->add_issued();
        day->set_day(20400 + d % 3);
        day->set_certificates(rng() % 50);
        const size_t n = 50 + rng() % 1500;
        if (std::string(i.id) != "Ghost") it->set_serials(draw(n));
        it->set_fqdns(draw(n));
        it->set_regdomains(draw(n / 2));
        it->set_wildcards(draw(n / 9));
      }
      t.mutable_errors()->set_unparseable_blocks(static_cast<uint64_t>(d));
      const std::string dir = tmp_.path() + "/" + name;
      ::mkdir(dir.c_str(), 0755);
      EXPECT_TRUE(tally::CommitOracle(dir, t).ok());
      tallies_.emplace_back(t, d > 0);  // the first is expired
      inputs_.push_back(ReduceInput{name + "/oracle.out", d > 0});
    }
  }

  ReduceStats Unsharded() {
    TallyReducer reducer;
    for (const auto& [t, active] : tallies_) EXPECT_TRUE(reducer.Add(t, active).ok());
    return reducer.Finish();
  }

  TempDir tmp_;
  std::vector<std::pair<DirectoryTally, bool>> tallies_;
  std::vector<ReduceInput> inputs_;
};

TEST_F(ShardReducerTest, AnyNumberOfShardsGivesTheUnshardedCounts) {
  const ReduceStats want = Unsharded();
  EXPECT_GT(want.totals.fqdns, 1000u);
  for (uint32_t shards : {1u, 2u, 3u, 16u, 101u}) {
    for (int threads : {1, 3}) {
      ReduceBase base = ReduceWithoutNames(tmp_.path(), inputs_);
      ASSERT_TRUE(base.failed.empty());
      EXPECT_EQ(base.active_inputs.size(), 8u);
      base::MemoryBudget budget(64 << 20);
      absl::StatusOr<ShardRunStats> run =
          CountShardsInProcess(tmp_.path(), shards, threads, &budget, &base);
      ASSERT_TRUE(run.ok()) << run.status();
      EXPECT_EQ(run->shards, shards);
      EXPECT_EQ(run->splits, 0u);
      SCOPED_TRACE(::testing::Message() << shards << " shards on " << threads << " threads");
      ExpectSameStats(base.stats, want);
      EXPECT_EQ(budget.reserved(), 0u);
    }
  }
}

TEST_F(ShardReducerTest, AShardOverTheBudgetIsSplitUntilItFits) {
  ReduceBase base = ReduceWithoutNames(tmp_.path(), inputs_);
  const uint64_t largest = base.name_records[0] * sizeof(base::Hash128);
  base::MemoryBudget budget(largest / 5);
  absl::StatusOr<ShardRunStats> run = CountShardsInProcess(tmp_.path(), 1, 2, &budget, &base);
  ASSERT_TRUE(run.ok()) << run.status();
  // Split once into enough pieces: the shard needs a little under 5 budgets
  // (name_records also counts "Ghost", which has no certificates), +25%.
  EXPECT_EQ(run->splits, 1u);
  EXPECT_EQ(run->shards, 6u);
  EXPECT_LE(budget.peak_reserved(), budget.capacity());
  EXPECT_LE(run->peak_reserved, largest / 5);
  ExpectSameStats(base.stats, Unsharded());
}

TEST_F(ShardReducerTest, ABudgetTooSmallForAnyRangeFails) {
  ReduceBase base = ReduceWithoutNames(tmp_.path(), inputs_);
  base::MemoryBudget budget(1);
  absl::StatusOr<ShardRunStats> run = CountShardsInProcess(tmp_.path(), 4, 2, &budget, &base);
  EXPECT_EQ(run.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_NE(run.status().message().find("raise --memory-limit"), std::string::npos) << run.status();
}

TEST(SplitPiecesTest, EnoughPiecesToFitUnlessSplittingCannotHelp) {
  EXPECT_EQ(*SplitPieces(100, 100, 0), 2u);
  EXPECT_EQ(*SplitPieces(1000, 100, 0), 13u);
  EXPECT_EQ(*SplitPieces(1000, 100, 2000), 13u);
  // Pieces that did not shrink: one hash in too many tallies.
  EXPECT_EQ(SplitPieces(1000, 100, 1500).status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(SplitPieces(uint64_t{1} << 40, 1 << 20, 0).status().code(),
            absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(SplitPieces(100, 0, 0).status().code(), absl::StatusCode::kResourceExhausted);
}

TEST_F(ShardReducerTest, NameRecordsAndShardCount) {
  const ReduceBase base = ReduceWithoutNames(tmp_.path(), inputs_);
  uint64_t fqdns = 0;
  for (const auto& [t, active] : tallies_) {
    if (!active) continue;
    for (const IssuerTally& i : t.issuers()) fqdns += i.fqdns().size() / 16;
  }
  EXPECT_EQ(base.name_records[0], fqdns);
  EXPECT_GT(base.name_records[0], base.name_records[1]);
  EXPECT_GT(base.name_records[1], base.name_records[2]);
  const uint64_t bytes = fqdns * sizeof(base::Hash128);
  EXPECT_EQ(ChooseShardCount(base, bytes * 2, 1), 1u);
  EXPECT_EQ(ChooseShardCount(base, bytes, 1), 2u);  // 25% headroom
  EXPECT_EQ(ChooseShardCount(base, bytes / 4, 1), 5u);
  EXPECT_EQ(ChooseShardCount(base, bytes / 4, 2), 10u);
  EXPECT_EQ(ChooseShardCount(ReduceBase(), 1 << 20, 4), 1u);
}

TEST(ChooseShardCountTest, ATinyBudgetMakesAtMostMaxShards) {
  // A worker announcing a memory budget of 1 byte once made 386,880 shards.
  ReduceBase base;
  base.name_records = {uint64_t{1} << 32, 1000, 10};
  EXPECT_EQ(ChooseShardCount(base, 1, 1), kMaxShards);
  EXPECT_EQ(ChooseShardCount(base, 0, 1), kMaxShards);
  EXPECT_EQ(ChooseShardCount(base, 4096, 8), kMaxShards);
  EXPECT_EQ(ChooseShardCount(base, uint64_t{1} << 40, 1), 1u);
}

TEST_F(ShardReducerTest, TallyThatCannotBeReadFailsItsDirectoryOnly) {
  ::ctmr::testing::WriteFile(tmp_.path() + "/2026-12-05/oracle.out", "\x0a\xff\xff\xff\x0f");
  std::vector<ReduceInput> inputs = inputs_;
  inputs.push_back(ReduceInput{"2026-12-31/oracle.out", true});  // not mapped: not counted
  const ReduceBase base = ReduceWithoutNames(tmp_.path(), inputs);
  ASSERT_EQ(base.failed.size(), 1u);
  EXPECT_EQ(base.failed[0].first, "2026-12-05/oracle.out");
  EXPECT_EQ(base.failed[0].second.code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(base.active_inputs.size(), 7u);
}

TEST_F(ShardReducerTest, CountsOfAnUnknownIssuerAreRejected) {
  ReduceBase base = ReduceWithoutNames(tmp_.path(), inputs_);
  ShardCounts counts;
  counts.add_issuers()->set_key("nobody");
  EXPECT_EQ(AddShardCounts(counts, &base.stats).code(), absl::StatusCode::kInternal);
}

TEST_F(ShardReducerTest, CountsThatCannotBeRightFailTheCheck) {
  const ReduceBase base = ReduceWithoutNames(tmp_.path(), inputs_);
  const ShardTask task = MakeShardTask(base, tmp_.path(), tally::ShardRange(0, 1));
  base::MemoryBudget budget(64 << 20);
  absl::StatusOr<ShardCounts> counts = CountShard(task, &budget);
  ASSERT_TRUE(counts.ok()) << counts.status();
  ASSERT_GE(counts->issuers_size(), 2);
  EXPECT_TRUE(CheckShardCounts(task, *counts, base.issuer_name_records).ok());
  EXPECT_TRUE(CheckShardCounts(task, *counts, {}).ok());
  const auto bad = [&](const std::function<void(ShardCounts*)>& change) {
    ShardCounts c = *counts;
    change(&c);
    return CheckShardCounts(task, c, base.issuer_name_records).code() ==
           absl::StatusCode::kInvalidArgument;
  };
  // An issuer with more names than its tallies hold.
  EXPECT_TRUE(bad([&](ShardCounts* c) {
    NameCounts* i = c->mutable_issuers(0);
    i->set_fqdns(base.issuer_name_records.at(i->key())[0] + 1);
  }));
  // Totals above the sum of the issuers, or below one of them.
  EXPECT_TRUE(bad([](ShardCounts* c) {
    c->mutable_totals()->set_regdomains(c->totals().regdomains() * 100 + 100);
  }));
  EXPECT_TRUE(bad([](ShardCounts* c) { c->mutable_totals()->set_fqdns(0); }));
  // An organization outside its issuers' bounds.
  EXPECT_TRUE(bad([](ShardCounts* c) { c->mutable_organizations(0)->set_wildcards(1 << 30); }));
  // Issuers missing, swapped or unknown; organizations missing.
  EXPECT_TRUE(bad([](ShardCounts* c) { c->mutable_issuers()->RemoveLast(); }));
  EXPECT_TRUE(bad([](ShardCounts* c) { c->mutable_issuers()->SwapElements(0, 1); }));
  EXPECT_TRUE(bad([](ShardCounts* c) { c->mutable_issuers(0)->set_key("nobody"); }));
  EXPECT_TRUE(bad([](ShardCounts* c) { c->mutable_organizations()->RemoveLast(); }));
}

TEST_F(ShardReducerTest, TaskListsActiveTalliesAndCountedIssuers) {
  const ReduceBase base = ReduceWithoutNames(tmp_.path(), inputs_);
  const ShardTask task = MakeShardTask(base, "/snap", tally::ShardRange(1, 4));
  EXPECT_EQ(task.input_dir(), "/snap");
  EXPECT_EQ(task.inputs_size(), 8);
  std::vector<std::string> ids;
  for (const IssuerOrganization& i : task.issuers()) {
    ids.push_back(i.issuer_id());
    if (i.issuer_id() == "NoO") {
      EXPECT_EQ(i.organization(), "CN=Lonely CA");
    }
  }
  // "Old" has certificates only in the expired directory, "Ghost" none at all.
  EXPECT_EQ(std::count(ids.begin(), ids.end(), "Old"), 0);
  EXPECT_EQ(std::count(ids.begin(), ids.end(), "Ghost"), 0);
  EXPECT_EQ(std::count(ids.begin(), ids.end(), "R10"), 1);
  EXPECT_EQ(*tally::DecodeRange(task.first(), task.last()), tally::ShardRange(1, 4));
}

}  // namespace
}  // namespace ctmr::reduce
