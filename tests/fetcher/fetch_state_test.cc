#include "fetcher/fetch_state.h"

#include <gtest/gtest.h>

#include <string>

#include "common/base/file_util.h"
#include "fetcher/verify/merkle.h"
#include "tests/support/test_support.h"

namespace ctmr::fetch {
namespace {

using ::ctmr::testing::TempDir;

FetchState SomeState(uint64_t leaves) {
  FetchState state;
  state.url = "https://log.example/";
  for (uint64_t i = 0; i < leaves; ++i) {
    EXPECT_TRUE(state.range.Append(verify::LeafHash(std::to_string(i))).ok());
  }
  state.next_index = leaves;
  state.tree_head.tree_size = leaves + 10;
  state.tree_head.timestamp = 1'700'000'000'000;
  state.tree_head.sha256_root_hash = std::string(32, '\x42');
  return state;
}

TEST(FetchStateTest, SavedStateLoadsBackEqual) {
  TempDir tmp;
  const std::string path = StateFilePath(tmp.path(), "log");
  const FetchState saved = SomeState(13);
  ASSERT_TRUE(SaveFetchState(path, saved).ok());  // creates ROOT/state/
  absl::StatusOr<FetchState> loaded = LoadFetchState(path, saved.url);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->next_index, 13u);
  EXPECT_EQ(loaded->tree_head.tree_size, 23u);
  EXPECT_EQ(loaded->tree_head.timestamp, saved.tree_head.timestamp);
  EXPECT_EQ(loaded->tree_head.sha256_root_hash, saved.tree_head.sha256_root_hash);
  EXPECT_EQ(loaded->range.Root(), saved.range.Root());
}

TEST(FetchStateTest, MissingFileIsAFreshState) {
  TempDir tmp;
  absl::StatusOr<FetchState> state = LoadFetchState(tmp.path() + "/state/x.json", "https://a/");
  ASSERT_TRUE(state.ok());
  EXPECT_EQ(state->next_index, 0u);
  EXPECT_EQ(state->tree_head.tree_size, 0u);
  EXPECT_EQ(state->url, "https://a/");
}

TEST(FetchStateTest, AnotherUrlForTheSameLogResumes) {
  TempDir tmp;
  const std::string path = StateFilePath(tmp.path(), "log");
  ASSERT_TRUE(SaveFetchState(path, SomeState(5)).ok());
  absl::StatusOr<FetchState> moved = LoadFetchState(path, "https://mirror.example/log");
  ASSERT_TRUE(moved.ok()) << moved.status();
  EXPECT_EQ(moved->next_index, 5u);
  EXPECT_EQ(moved->url, "https://mirror.example/log");
}

TEST(FetchStateTest, CorruptFilesAreDataLossNamingTheFile) {
  TempDir tmp;
  const std::string path = tmp.path() + "/bad.json";
  for (const char* text :
       {"", "[]", "{\"url\": \"u\"}",
        // a compact range that does not fit next_index
        R"({"url":"u","next_index":3,"tree_head":{"tree_size":3,"timestamp":1,)"
        R"("root_hash":"QkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkI="},"compact_range":[]})",
        // next_index past the verified head
        R"({"url":"u","next_index":1,"tree_head":{"tree_size":0,"timestamp":1,)"
        R"("root_hash":"QkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkI="},)"
        R"("compact_range":["QkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkI="]})",
        // a root hash of the wrong length
        R"({"url":"u","next_index":0,"tree_head":{"tree_size":0,"timestamp":1,)"
        R"("root_hash":"QkI="},"compact_range":[]})"}) {
    ctmr::testing::WriteFile(path, text);
    absl::StatusOr<FetchState> state = LoadFetchState(path, "u");
    EXPECT_EQ(state.status().code(), absl::StatusCode::kDataLoss) << text;
    EXPECT_NE(state.status().message().find(path), std::string::npos) << state.status();
  }
}

TEST(FetchStateTest, StemIsTheFileSafeLogIdOrTheUrl) {
  EXPECT_EQ(StateFileStem("ab+/cd==", "https://x/"), "ab-_cd");
  EXPECT_EQ(StateFileStem("", "https://ct.example.org/2025h2/"), "ct.example.org_2025h2");
}

}  // namespace
}  // namespace ctmr::fetch
