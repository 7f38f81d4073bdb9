#include "fetcher/verify/entry_batch.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/x509/base64.h"
#include "fetcher/verify/codec.h"
#include "fetcher/verify/log_entry.h"
#include "tests/fetcher/test_data.h"

// Every operator new of this test binary is counted, so that a test can show
// that parsing into a warm batch allocates nothing (simdjson and the standard
// containers allocate through operator new; aligned new is left alone).
namespace {
std::atomic<size_t> g_allocations{0};
void* CountedAlloc(size_t n) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  return std::malloc(n == 0 ? 1 : n);
}
}  // namespace

// GCC sees free() meet a pointer from operator new once these are inlined;
// here both sides are malloc/free.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
void* operator new(size_t n) {
  if (void* p = CountedAlloc(n)) return p;
  throw std::bad_alloc();
}
void* operator new[](size_t n) {
  if (void* p = CountedAlloc(n)) return p;
  throw std::bad_alloc();
}
void* operator new(size_t n, const std::nothrow_t&) noexcept { return CountedAlloc(n); }
void* operator new[](size_t n, const std::nothrow_t&) noexcept { return CountedAlloc(n); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }
void operator delete[](void* p, size_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }
#pragma GCC diagnostic pop

namespace ctmr::verify {
namespace {

constexpr char kArgonEntries[] = "rfc6962/argon2020/get-entries-start-10000-end-10000";
constexpr char kNavigli[] = "navigli2025h2/";

std::string U24(size_t n) {
  return std::string{static_cast<char>(n >> 16), static_cast<char>(n >> 8), static_cast<char>(n)};
}

void ExpectSameEntry(const LogEntry& want, const LogEntry& got, const std::string& where) {
  EXPECT_EQ(got.type, want.type) << where;
  EXPECT_EQ(got.timestamp, want.timestamp) << where;
  EXPECT_EQ(got.merkle_tree_leaf, want.merkle_tree_leaf) << where;
  EXPECT_EQ(got.certificate, want.certificate) << where;
  EXPECT_EQ(got.tbs_certificate, want.tbs_certificate) << where;
  EXPECT_EQ(got.issuer_key_hash, want.issuer_key_hash) << where;
  EXPECT_EQ(got.extensions, want.extensions) << where;
  EXPECT_EQ(got.chain, want.chain) << where;
  EXPECT_EQ(got.chain_fingerprints, want.chain_fingerprints) << where;
}

// The batch's views, read directly rather than through ToLogEntry.
void ExpectViewsMatch(const EntryBatch& batch, size_t i, const LogEntry& want,
                      const std::string& where) {
  const EntryView& v = batch[i];
  EXPECT_EQ(v.type, want.type) << where;
  EXPECT_EQ(v.timestamp, want.timestamp) << where;
  EXPECT_EQ(v.merkle_tree_leaf, want.merkle_tree_leaf) << where;
  EXPECT_EQ(v.certificate, want.certificate) << where;
  EXPECT_EQ(v.tbs_certificate, want.tbs_certificate) << where;
  EXPECT_EQ(v.issuer_key_hash, want.issuer_key_hash) << where;
  EXPECT_EQ(v.extensions, want.extensions) << where;
  ASSERT_EQ(v.chain_size, want.chain_fingerprints.size()) << where;
  for (size_t k = 0; k < v.chain_size; ++k) {
    EXPECT_EQ(batch.chain_certificate(i, k), k < want.chain.size() ? want.chain[k] : "") << where;
    if (batch.has_chain_fingerprints()) {
      EXPECT_EQ(batch.chain_fingerprint(i, k), want.chain_fingerprints[k]) << where;
    }
  }
}

// Both parsers on one body: the same verdict, the same message, the same
// entries.
void ExpectParsersAgree(const std::string& json, size_t max_entries, const std::string& where) {
  const absl::StatusOr<std::vector<LogEntry>> want = ParseGetEntriesResponse(json, max_entries);
  EntryBatch batch;
  const absl::Status got = ParseGetEntriesInto(absl::string_view(json), max_entries, &batch);
  ASSERT_EQ(got.ok(), want.ok()) << where << ": " << got << " / " << want.status();
  if (!got.ok()) {
    EXPECT_EQ(got, want.status()) << where;
    EXPECT_EQ(batch.size(), 0u) << where;
    return;
  }
  ASSERT_EQ(batch.size(), want->size()) << where;
  for (size_t i = 0; i < batch.size(); ++i) {
    const std::string at = absl::StrCat(where, " entry ", i);
    ExpectViewsMatch(batch, i, (*want)[i], at);
    ExpectSameEntry((*want)[i], batch.ToLogEntry(i), at);
  }
}

std::string GetEntriesJson(const std::vector<std::pair<std::string, std::string>>& entries) {
  std::string json = "{\"entries\":[";
  for (size_t i = 0; i < entries.size(); ++i) {
    if (i > 0) json += ",";
    absl::StrAppend(&json, "{\"leaf_input\":\"", EncodeBase64(entries[i].first),
                    "\",\"extra_data\":\"", EncodeBase64(entries[i].second), "\"}");
  }
  return json + "]}";
}

// Navigli's 512 tile entries as an RFC 6962 log serves them: leaf_input the
// MerkleTreeLeaf, extra_data the PrecertChainEntry with the chain fetched by
// fingerprint — what tests/fetch_log_server renders.
struct NavigliData {
  std::vector<LogEntry> tile_entries;
  std::vector<std::pair<std::string, std::string>> rfc6962;  // leaf_input, extra_data
};

const NavigliData& Navigli() {
  static const NavigliData* data = [] {
    auto* d = new NavigliData;
    for (const char* n : {"000", "001"}) {
      absl::StatusOr<std::vector<LogEntry>> tile =
          ParseDataTile(ReadCtTestData(std::string(kNavigli) + "tile/data/" + n), 256);
      EXPECT_TRUE(tile.ok()) << tile.status();
      if (tile.ok()) d->tile_entries.insert(d->tile_entries.end(), tile->begin(), tile->end());
    }
    for (const LogEntry& e : d->tile_entries) {
      std::string chain;
      for (const std::string& fp : e.chain_fingerprints) {
        const std::string der = ReadCtTestData(std::string(kNavigli) + "issuer/" + HexEncode(fp));
        EXPECT_FALSE(der.empty()) << HexEncode(fp);
        chain += U24(der.size()) + der;
      }
      d->rfc6962.emplace_back(e.merkle_tree_leaf, U24(e.certificate.size()) + e.certificate +
                                                      U24(chain.size()) + chain);
    }
    return d;
  }();
  return *data;
}

TEST(EntryBatchTest, Argon2020AgreesWithTheReferenceParser) {
  const std::string json = ReadCtTestData(kArgonEntries);
  ASSERT_FALSE(json.empty());
  ExpectParsersAgree(json, 1, "argon");

  EntryBatch batch;
  ASSERT_TRUE(ParseGetEntriesInto(json, 1, &batch).ok());
  ASSERT_EQ(batch.size(), 1u);
  EXPECT_EQ(batch[0].type, LogEntryType::kX509);
  EXPECT_EQ(batch[0].chain_size, 3u);
  // get-entries fingerprints wait until asked for.
  EXPECT_FALSE(batch.has_chain_fingerprints());
  EXPECT_TRUE(batch.chain_fingerprint(0, 0).empty());
  batch.ComputeChainFingerprints();
  ASSERT_TRUE(batch.has_chain_fingerprints());
  for (size_t k = 0; k < 3; ++k) {
    EXPECT_EQ(batch.chain_fingerprint(0, k), Sha256(batch.chain_certificate(0, k)));
  }
  const absl::StatusOr<std::vector<LogEntry>> want = ParseGetEntriesResponse(json, 1);
  ASSERT_TRUE(want.ok());
  const absl::StatusOr<std::string> issuer = IssuerId(batch, 0);
  ASSERT_TRUE(issuer.ok()) << issuer.status();
  EXPECT_EQ(*issuer, *IssuerId((*want)[0]));
}

// Every Navigli entry through get-entries, in one page and in pages of 32,
// gives what the reference gives and what the data tile itself holds.
TEST(EntryBatchTest, NavigliAsGetEntriesAgreesWithTheReferenceParser) {
  const NavigliData& navigli = Navigli();
  ASSERT_EQ(navigli.rfc6962.size(), 512u);
  ExpectParsersAgree(GetEntriesJson(navigli.rfc6962), 512, "navigli");
  for (size_t start = 0; start < 512; start += 32) {
    ExpectParsersAgree(
        GetEntriesJson({navigli.rfc6962.begin() + start, navigli.rfc6962.begin() + start + 32}), 32,
        absl::StrCat("navigli page ", start));
  }

  EntryBatch batch;
  ASSERT_TRUE(ParseGetEntriesInto(GetEntriesJson(navigli.rfc6962), 512, &batch).ok());
  batch.ComputeChainFingerprints();
  for (size_t i = 0; i < batch.size(); ++i) {
    const LogEntry& tile = navigli.tile_entries[i];
    EXPECT_EQ(batch[i].merkle_tree_leaf, tile.merkle_tree_leaf) << i;
    EXPECT_EQ(batch[i].certificate, tile.certificate) << i;
    ASSERT_EQ(batch[i].chain_size, tile.chain_fingerprints.size()) << i;
    for (size_t k = 0; k < batch[i].chain_size; ++k) {
      EXPECT_EQ(batch.chain_fingerprint(i, k), tile.chain_fingerprints[k]) << i;
    }
  }
}

TEST(EntryBatchTest, DataTilesAgreeWithTheTileLeafParser) {
  for (const char* n : {"000", "001"}) {
    const std::string tile = ReadCtTestData(std::string(kNavigli) + "tile/data/" + n);
    EntryBatch batch;
    ASSERT_TRUE(ParseDataTileInto(tile, 256, &batch).ok());
    ASSERT_EQ(batch.size(), 256u);
    EXPECT_TRUE(batch.has_chain_fingerprints());
    absl::string_view rest = tile;
    for (size_t i = 0; i < 256; ++i) {
      absl::StatusOr<LogEntry> want = ParseTileLeaf(&rest);
      ASSERT_TRUE(want.ok());
      ExpectViewsMatch(batch, i, *want, absl::StrCat("tile ", n, " entry ", i));
      ExpectSameEntry(*want, batch.ToLogEntry(i), absl::StrCat("tile ", n, " entry ", i));
      EXPECT_EQ(*IssuerId(batch, i), *IssuerId(*want));
    }
  }
}

TEST(EntryBatchTest, DataTileBoundsMatchParseDataTile) {
  const std::string tile = ReadCtTestData(std::string(kNavigli) + "tile/data/000");
  absl::string_view rest = tile;
  ASSERT_TRUE(ParseTileLeaf(&rest).ok());
  const std::string first = tile.substr(0, tile.size() - rest.size());
  const std::vector<std::pair<std::string, size_t>> cases = {
      {tile, 0},
      {tile, 257},
      {tile, 255},
      {first, 2},
      {first + '\0', 1},
      {first, 1},
      {first + first, 2},
      {"", 1},
      {first.substr(0, first.size() - 1), 1},
      {first.substr(0, 20), 1},
  };
  EntryBatch batch;
  for (const auto& [bytes, width] : cases) {
    const absl::StatusOr<std::vector<LogEntry>> want = ParseDataTile(bytes, width);
    const absl::Status got = ParseDataTileInto(bytes, width, &batch);
    const std::string where = absl::StrCat(bytes.size(), " bytes, width ", width);
    ASSERT_EQ(got.ok(), want.ok()) << where << ": " << got;
    if (got.ok()) {
      EXPECT_EQ(batch.size(), width) << where;
    } else {
      EXPECT_EQ(got, want.status()) << where;
      EXPECT_EQ(batch.size(), 0u) << where;
    }
  }
  // Every prefix of the first record fails in both, with the same message.
  for (size_t n = 0; n < first.size(); n += 7) {
    const absl::StatusOr<std::vector<LogEntry>> want = ParseDataTile(first.substr(0, n), 1);
    EXPECT_EQ(ParseDataTileInto(first.substr(0, n), 1, &batch), want.status()) << n;
  }
}

// Every hostile body ParseGetEntriesResponse refuses, the batch parser refuses
// with the same message; the odd bodies both accept, both read alike.
TEST(EntryBatchTest, HostileGetEntriesJsonGetsTheReferenceAnswer) {
  const std::string argon = ReadCtTestData(kArgonEntries);
  const auto& navigli = Navigli().rfc6962;
  const std::string leaf = EncodeBase64(navigli[0].first);
  const std::string extra = EncodeBase64(navigli[0].second);
  auto entry = [](const std::string& fields) { return "{\"entries\":[{" + fields + "}]}"; };
  const std::string good = "\"leaf_input\":\"" + leaf + "\",\"extra_data\":\"" + extra + "\"";
  std::string escaped_leaf = leaf;  // "\/" and "\u0041" are JSON for '/' and 'A'
  escaped_leaf.replace(0, 1, "\\u00" + HexEncode(leaf.substr(0, 1)));
  for (size_t p = escaped_leaf.find('/'); p != std::string::npos; p = escaped_leaf.find('/', p + 2))
    escaped_leaf.replace(p, 1, "\\/");
  std::string bad_tls = navigli[0].first;
  bad_tls[0] = 1;  // MerkleTreeLeaf version 2

  const std::vector<std::pair<std::string, std::string>> cases = {
      {"argon, max 0", argon},
      {"empty", ""},
      {"whitespace", " \n"},
      {"null", "null"},
      {"array", "[]"},
      {"string", "\"entries\""},
      {"entries object", "{\"entries\":{}}"},
      {"entries string", "{\"entries\":\"x\"}"},
      {"no entries", "{\"entry\":[]}"},
      {"entry number", "{\"entries\":[1]}"},
      {"entry array", "{\"entries\":[[]]}"},
      {"no extra_data", entry("\"leaf_input\":\"AA==\"")},
      {"no leaf_input", entry("\"extra_data\":\"AA==\"")},
      {"leaf_input number", entry("\"leaf_input\":1,\"extra_data\":\"\"")},
      {"extra_data null", entry("\"leaf_input\":\"\",\"extra_data\":null")},
      {"base64 short", entry("\"leaf_input\":\"A\",\"extra_data\":\"\"")},
      {"base64 no padding", entry("\"leaf_input\":\"Zg\",\"extra_data\":\"" + extra + "\"")},
      {"base64 space", entry("\"leaf_input\":\" " + leaf + "\",\"extra_data\":\"" + extra + "\"")},
      {"base64 newline",
       entry("\"leaf_input\":\"" + leaf + "\\n\",\"extra_data\":\"" + extra + "\"")},
      {"base64 trailing bits", entry("\"leaf_input\":\"Zh==\",\"extra_data\":\"" + extra + "\"")},
      {"base64 url alphabet", entry("\"leaf_input\":\"-_-_\",\"extra_data\":\"\"")},
      {"bad MerkleTreeLeaf",
       entry("\"leaf_input\":\"" + EncodeBase64(bad_tls) + "\",\"extra_data\":\"" + extra + "\"")},
      {"truncated extra_data", entry("\"leaf_input\":\"" + leaf + "\",\"extra_data\":\"" +
                                     EncodeBase64(navigli[0].second.substr(0, 100)) + "\"")},
      {"extra_data of an x509 entry", GetEntriesJson({{navigli[0].first, U24(0)}})},
      {"good", entry(good)},
      {"good, escaped",
       entry("\"leaf_input\":\"" + escaped_leaf + "\",\"extra_data\":\"" + extra + "\"")},
      {"good, other fields", entry(good + ",\"x\":[1,{\"y\":null}],\"z\":-1.5e3")},
      {"good, duplicate leaf_input, last bad", entry(good + ",\"leaf_input\":\"A\"")},
      {"good, duplicate leaf_input, last good", entry("\"leaf_input\":\"A\"," + good)},
      {"duplicate entries, last empty", entry(good) + ",\"entries\":[]}"},
      {"duplicate entries key", "{\"entries\":5,\"entries\":[{" + good + "}]}"},
      {"escaped key", "{\"entr\\u0069es\":[{" + good + "}]}"},
      {"byte order mark", "\xEF\xBB\xBF" + entry(good)},
      {"trailing garbage", entry(good) + "x"},
      {"two documents", entry(good) + entry(good)},
      {"trailing comma", "{\"entries\":[{" + good + "},]}"},
      {"invalid UTF-8 in a field", entry(good + ",\"x\":\"\xff\"")},
      {"control character", entry(good + ",\"x\":\"\x01\"")},
      {"lone surrogate", entry(good + ",\"x\":\"\\ud800\"")},
      {"depth 4", entry(good + ",\"x\":[]")},
      {"depth 5", entry(good + ",\"x\":[[]]")},
      {"depth 5, empty", "{\"entries\":[],\"x\":[[[[]]]]}"},
      {"depth 5 in a string", entry(good + ",\"x\":\"[[[[[[\"")},
      {"deep brackets", std::string(1 << 20, '[')},
      {"deep and broken", "{\"entries\":[[[[[[[[[[[[[[[[\xff"},
      {"deep objects", "{\"a\":" + std::string(100, '[') + "}"},
      {"truncated", entry(good).substr(0, 50)},
      {"NUL byte", std::string("{\"entries\":[]}\0", 15)},
      {"NUL, then garbage", std::string("{\"entries\":[]}\0garbage", 22)},
      {"NUL, then deep", std::string("{\"entries\":[]}\0[[[[[", 20)},
      {"NUL in a string", std::string("{\"entries\":[],\"x\":\"a\0b\"}", 24)},
      {"NUL in an entry", std::string("{\"entries\":[\0]}", 15)},
  };
  for (const auto& [name, json] : cases) {
    ExpectParsersAgree(json, name == "argon, max 0" ? 0 : 10, name);
  }
  ExpectParsersAgree(GetEntriesJson({navigli.begin(), navigli.begin() + 11}), 10, "11 of 10");
}

TEST(EntryBatchTest, BodiesOverTheLimitAreRefusedUnread) {
  std::string huge(kMaxGetEntriesJson + 1, ' ');
  EntryBatch batch;
  const absl::Status s = ParseGetEntriesInto(huge, 10, &batch);
  EXPECT_EQ(s, ParseGetEntriesResponse(huge, 10).status());
  EXPECT_EQ(s.message(), "get-entries: response too large");
  // Nothing was sized for it.
  EXPECT_LT(batch.bytes(), size_t{1} << 20);
}

// simdjson cannot hold an integer past 64 bits; nlohmann reads it as a double.
// The one difference (entry_batch.h): refused, never read otherwise.
TEST(EntryBatchTest, IntegersPastSixtyFourBitsAreRefused) {
  const std::string json = "{\"entries\":[],\"x\":18446744073709551616}";
  EXPECT_TRUE(ParseGetEntriesResponse(json, 10).ok());
  EntryBatch batch;
  EXPECT_EQ(ParseGetEntriesInto(json, 10, &batch).code(), absl::StatusCode::kInvalidArgument);
  ExpectParsersAgree("{\"entries\":[],\"x\":18446744073709551615}", 10, "u64 max");
  ExpectParsersAgree("{\"entries\":[],\"x\":-9223372036854775808}", 10, "i64 min");
}

// A body read into a std::string with kJsonPadding spare capacity is parsed
// where it is; one without is copied. Both read the same.
TEST(EntryBatchTest, PaddedAndUnpaddedBodiesReadTheSame) {
  const std::string json = GetEntriesJson({Navigli().rfc6962.begin(), Navigli().rfc6962.end()});
  std::string padded;
  padded.reserve(json.size() + kJsonPadding);
  padded = json;
  ASSERT_GE(padded.capacity() - padded.size(), kJsonPadding);
  std::string tight = json;
  tight.shrink_to_fit();
  EntryBatch a, b;
  ASSERT_TRUE(ParseGetEntriesInto(padded, 512, &a).ok());
  ASSERT_TRUE(ParseGetEntriesInto(tight, 512, &b).ok());
  ASSERT_EQ(a.size(), 512u);
  ASSERT_EQ(b.size(), 512u);
  for (size_t i = 0; i < 512; ++i) {
    ExpectSameEntry(a.ToLogEntry(i), b.ToLogEntry(i), absl::StrCat("entry ", i));
  }
}

// The arena starts small and grows (moving) many times while the first big
// page is parsed, and again when a bigger page follows a small one: every
// view must point into the final arena.
TEST(EntryBatchTest, ViewsStayRightWhenTheArenaGrows) {
  const NavigliData& navigli = Navigli();
  EntryBatch batch;
  ASSERT_TRUE(ParseGetEntriesInto(GetEntriesJson({navigli.rfc6962[0]}), 1, &batch).ok());
  const size_t small = batch.bytes();
  const std::string json = GetEntriesJson(navigli.rfc6962);
  const absl::StatusOr<std::vector<LogEntry>> want = ParseGetEntriesResponse(json, 512);
  ASSERT_TRUE(want.ok());
  ASSERT_TRUE(ParseGetEntriesInto(json, 512, &batch).ok());
  EXPECT_GT(batch.bytes(), small + 4 * 64 * 1024);  // grew well past its first size
  ASSERT_EQ(batch.size(), 512u);
  for (size_t i = 0; i < 512; ++i) ExpectViewsMatch(batch, i, (*want)[i], absl::StrCat(i));

  // A tile after a get-entries page, and views surviving a move.
  const std::string tile = ReadCtTestData(std::string(kNavigli) + "tile/data/001");
  ASSERT_TRUE(ParseDataTileInto(tile, 256, &batch).ok());
  EntryBatch moved = std::move(batch);
  for (size_t i = 0; i < 256; ++i) {
    ExpectViewsMatch(moved, i, navigli.tile_entries[256 + i], absl::StrCat("tile ", i));
  }
}

TEST(EntryBatchTest, ErrorsLeaveTheBatchEmpty) {
  EntryBatch batch;
  const std::string json = GetEntriesJson({Navigli().rfc6962.begin(), Navigli().rfc6962.end()});
  ASSERT_TRUE(ParseGetEntriesInto(json, 512, &batch).ok());
  EXPECT_FALSE(ParseGetEntriesInto(json, 511, &batch).ok());
  EXPECT_TRUE(batch.empty());
  ASSERT_TRUE(ParseGetEntriesInto(json, 512, &batch).ok());
  // Entry 300 broken: the 300 before it are not left behind.
  std::vector<std::pair<std::string, std::string>> entries = Navigli().rfc6962;
  entries[300].second += "x";
  EXPECT_FALSE(ParseGetEntriesInto(GetEntriesJson(entries), 512, &batch).ok());
  EXPECT_TRUE(batch.empty());
  EXPECT_FALSE(ParseDataTileInto("x", 1, &batch).ok());
  EXPECT_TRUE(batch.empty());
}

// The point of the batch: once warm, parsing the same page again allocates
// nothing, and Clear() gives no capacity back.
TEST(EntryBatchTest, AWarmBatchParsesWithoutAllocating) {
  const std::string json = GetEntriesJson({Navigli().rfc6962.begin(), Navigli().rfc6962.end()});
  std::string padded;
  padded.reserve(json.size() + kJsonPadding);
  padded = json;
  const std::string tile = ReadCtTestData(std::string(kNavigli) + "tile/data/000");

  EntryBatch batch;
  const size_t cold = g_allocations.load();
  ASSERT_TRUE(ParseGetEntriesInto(absl::string_view(json), 512, &batch).ok());
  EXPECT_GT(g_allocations.load(), cold);  // the counter counts
  batch.ComputeChainFingerprints();
  ASSERT_TRUE(ParseDataTileInto(tile, 256, &batch).ok());
  const size_t warm = batch.bytes();
  batch.Clear();
  EXPECT_EQ(batch.bytes(), warm);

  const size_t before = g_allocations.load();
  ASSERT_TRUE(ParseGetEntriesInto(absl::string_view(json), 512, &batch).ok());  // copied
  batch.ComputeChainFingerprints();
  ASSERT_TRUE(ParseGetEntriesInto(padded, 512, &batch).ok());  // in place
  ASSERT_TRUE(ParseDataTileInto(tile, 256, &batch).ok());
  const size_t allocations = g_allocations.load() - before;
  EXPECT_EQ(allocations, 0u);
  EXPECT_EQ(batch.bytes(), warm);
  ASSERT_EQ(batch.size(), 256u);
}

}  // namespace
}  // namespace ctmr::verify
