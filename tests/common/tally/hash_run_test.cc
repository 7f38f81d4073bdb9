// Sorted runs of hashes in a file: RunContains finds every record and no
// other, wherever it lies (the page it guesses, before it, after it), and
// MergeRuns visits the union once per record.
#include "common/tally/hash_run.h"

#include <fcntl.h>
#include <unistd.h>

#include <random>
#include <set>

#include "gtest/gtest.h"
#include "tests/support/test_support.h"

namespace ctmr::tally {
namespace {

base::Hash128 Random(std::mt19937_64* rng) { return base::Hash128{(*rng)(), (*rng)()}; }

TEST(HashRunTest, ContainsAndMergeOverRunsInAFile) {
  ::ctmr::testing::TempDir tmp;
  const std::string path = tmp.path() + "/runs";
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  ASSERT_GE(fd, 0);
  std::mt19937_64 rng(9);
  std::vector<HashSet> sets;
  std::vector<SetSpan> spans;
  HashRunWriter writer(fd, path, 0, 4096);
  // Sizes around a page (256 records), and a skewed run whose records all
  // lie in a tenth of the hash space, so the guessed page misses.
  for (size_t n : {0, 1, 255, 256, 257, 5000}) {
    HashSet s;
    for (size_t i = 0; i < n; ++i) s.push_back(Random(&rng));
    SortUnique(&s);
    sets.push_back(s);
  }
  HashSet skewed;
  for (int i = 0; i < 3000; ++i) skewed.push_back({rng() / 10, rng()});
  SortUnique(&skewed);
  sets.push_back(skewed);
  for (const HashSet& s : sets) {
    for (const base::Hash128& h : s) writer.Add(h);
    auto span = writer.EndRun();
    ASSERT_TRUE(span.ok());
    spans.push_back(*span);
  }
  ASSERT_TRUE(writer.Flush().ok());

  std::string page;
  for (size_t r = 0; r < sets.size(); ++r) {
    for (const base::Hash128& h : sets[r]) {
      auto found = RunContains(fd, path, spans[r], h, &page);
      ASSERT_TRUE(found.ok() && *found);
      auto next = RunContains(fd, path, spans[r], {h.high, h.low + 1}, &page);
      ASSERT_TRUE(next.ok());
      EXPECT_EQ(*next, std::binary_search(sets[r].begin(), sets[r].end(),
                                          base::Hash128{h.high, h.low + 1}));
    }
    for (const base::Hash128& h : {base::Hash128{0, 0}, base::Hash128{~0ull, ~0ull}}) {
      auto found = RunContains(fd, path, spans[r], h, &page);
      ASSERT_TRUE(found.ok());
      EXPECT_EQ(*found, std::binary_search(sets[r].begin(), sets[r].end(), h));
    }
  }

  // The union of every run, a memory run among them sharing records.
  HashSet memory(sets[5].begin(), sets[5].begin() + 100);
  std::set<base::Hash128> expected(memory.begin(), memory.end());
  std::vector<HashRunCursor> cursors;
  for (size_t r = 0; r < sets.size(); ++r) {
    expected.insert(sets[r].begin(), sets[r].end());
    cursors.emplace_back(fd, &path, spans[r], 64);
  }
  cursors.emplace_back(&memory);
  HashSet merged;
  ASSERT_TRUE(MergeRuns(&cursors, [&](const base::Hash128& h) { merged.push_back(h); }).ok());
  EXPECT_EQ(merged, HashSet(expected.begin(), expected.end()));
  ::close(fd);
}

}  // namespace
}  // namespace ctmr::tally
