#include "common/segment/segment.h"

#include <gtest/gtest.h>
#include <xxhash.h>

#include <random>
#include <string>
#include <vector>

#include "absl/status/status.h"

namespace ctmr::segment {
namespace {

// Certificate-like bytes: a repeated prefix (as issuers and extensions are)
// and a random tail (keys, signatures).
std::string FakeDer(int i, size_t size = 900) {
  std::mt19937 rng(static_cast<uint32_t>(i));
  std::string der = "\x30\x82 issuer=Example CA, policy=DV, ocsp=http://ocsp.example/ ";
  while (der.size() < size) der.push_back(static_cast<char>(rng()));
  return der;
}

struct Owned {
  std::string log;
  uint64_t ms;
  std::string der;
};

std::vector<Owned> MakeRecords(int first, int n) {
  std::vector<Owned> out;
  for (int i = first; i < first + n; ++i) {
    out.push_back({i % 3 == 0 ? "https://a.example/log/" : "https://b.example/", 1700000000000u + i,
                   FakeDer(i)});
  }
  return out;
}

std::string BuildBlock(BlockBuilder* builder, const std::vector<Owned>& owned) {
  std::vector<Record> records;
  for (const Owned& o : owned) records.push_back({o.log, o.ms, o.der});
  std::string out;
  EXPECT_TRUE(builder->AppendBlock(records, &out).ok());
  return out;
}

struct ScanResult {
  std::vector<Owned> records;
  int blocks = 0;
  int bad = 0;
  size_t consumed = 0;
};

ScanResult ScanAll(std::string_view bytes, bool at_end = true) {
  ScanResult result;
  BlockDecoder decoder;
  SegmentScanner scanner(bytes, at_end);
  BlockView block;
  while (scanner.Next(&block)) {
    ++result.blocks;
    const absl::Status s = decoder.Decode(block, [&](const Record& r) {
      result.records.push_back({std::string(r.log_url), r.recorded_at_ms, std::string(r.der)});
    });
    if (!s.ok()) ++result.bad;
  }
  result.consumed = scanner.consumed();
  return result;
}

// A file of three blocks of 10, 1 and 40 records, and where each block ends.
struct ThreeBlocks {
  std::string bytes;
  std::vector<size_t> ends;
  std::vector<Owned> records;
};

ThreeBlocks MakeThreeBlocks() {
  BlockBuilder builder;
  ThreeBlocks f;
  int next = 0;
  for (int n : {10, 1, 40}) {
    std::vector<Owned> r = MakeRecords(next, n);
    next += n;
    f.bytes += BuildBlock(&builder, r);
    f.ends.push_back(f.bytes.size());
    f.records.insert(f.records.end(), r.begin(), r.end());
  }
  return f;
}

TEST(SegmentTest, RoundTripsRecordsInOrder) {
  const ThreeBlocks f = MakeThreeBlocks();
  const ScanResult r = ScanAll(f.bytes);
  EXPECT_EQ(r.blocks, 3);
  EXPECT_EQ(r.bad, 0);
  EXPECT_EQ(r.consumed, f.bytes.size());
  ASSERT_EQ(r.records.size(), f.records.size());
  for (size_t i = 0; i < r.records.size(); ++i) {
    EXPECT_EQ(r.records[i].log, f.records[i].log);
    EXPECT_EQ(r.records[i].ms, f.records[i].ms);
    EXPECT_EQ(r.records[i].der, f.records[i].der);
  }
}

TEST(SegmentTest, CompressesRepetitiveCertificates) {
  BlockBuilder builder;
  const std::vector<Owned> records = MakeRecords(0, 200);
  size_t raw = 0;
  for (const Owned& o : records) raw += o.der.size();
  const std::string block = BuildBlock(&builder, records);
  EXPECT_LT(block.size(), raw);
}

TEST(SegmentTest, EveryTornPrefixStopsAtTheLastCompleteBlock) {
  const ThreeBlocks f = MakeThreeBlocks();
  for (size_t cut = 0; cut <= f.bytes.size(); ++cut) {
    const std::string_view prefix(f.bytes.data(), cut);
    size_t complete = 0;
    for (size_t end : f.ends) {
      if (end <= cut) complete = end;
    }
    const ScanResult r = ScanAll(prefix, /*at_end=*/true);
    ASSERT_EQ(r.consumed, complete) << "cut at " << cut;
    ASSERT_EQ(r.bad, 0) << "cut at " << cut;
  }
}

TEST(SegmentTest, AFlippedByteCostsItsBlockOnly) {
  const ThreeBlocks f = MakeThreeBlocks();
  const std::vector<size_t> starts = {0, f.ends[0], f.ends[1]};
  const std::vector<int> counts = {10, 1, 40};
  // Every byte of the small middle block, and a sample of the others.
  for (size_t at = 0; at < f.bytes.size(); at += (at >= f.ends[0] && at < f.ends[1]) ? 1 : 37) {
    std::string bytes = f.bytes;
    bytes[at] = static_cast<char>(bytes[at] ^ 0x10);
    const int hit = at < f.ends[0] ? 0 : at < f.ends[1] ? 1 : 2;
    const ScanResult r = ScanAll(bytes);
    ASSERT_EQ(r.bad, 1) << "byte " << at;
    ASSERT_EQ(r.consumed, bytes.size()) << "byte " << at;
    ASSERT_EQ(r.records.size(), f.records.size() - counts[hit]) << "byte " << at;
  }
}

TEST(SegmentTest, GarbageBetweenBlocksIsOneBadRegion) {
  const ThreeBlocks f = MakeThreeBlocks();
  std::string bytes = f.bytes.substr(0, f.ends[0]) + std::string(5000, 'x') + "CTSG" +
                      std::string(100, '\0') + f.bytes.substr(f.ends[0]);
  const ScanResult r = ScanAll(bytes);
  EXPECT_EQ(r.blocks, 4);
  EXPECT_EQ(r.bad, 1);
  EXPECT_EQ(r.records.size(), f.records.size());
}

// A block whose header is still being written after a corrupt region is a
// torn tail, not part of the region: read whole once it is complete.
TEST(SegmentTest, ATornHeaderAfterACorruptRegionIsLeftForLater) {
  const ThreeBlocks f = MakeThreeBlocks();
  const std::string garbage(500, 'g');
  const std::string last = f.bytes.substr(f.ends[1]);
  for (size_t torn = 1; torn < kHeaderBytes; ++torn) {
    const std::string bytes = f.bytes.substr(0, f.ends[1]) + garbage + last.substr(0, torn);
    const ScanResult r = ScanAll(bytes);
    ASSERT_EQ(r.consumed, f.ends[1] + garbage.size()) << torn;
    ASSERT_EQ(r.bad, 1) << torn;
    // The writer finishes the block; a reader resuming at its offset reads it.
    const std::string finished = f.bytes.substr(0, f.ends[1]) + garbage + last;
    const ScanResult rest = ScanAll(std::string_view(finished).substr(r.consumed));
    ASSERT_EQ(rest.records.size(), 40u) << torn;
    ASSERT_EQ(rest.bad, 0) << torn;
  }
}

TEST(SegmentTest, ChunkedScanningMatchesAWholeScan) {
  // A reader that sees the file in pieces (not at its end) must find the same
  // blocks: it keeps the unconsumed bytes and adds more.
  const ThreeBlocks f = MakeThreeBlocks();
  std::string bytes =
      f.bytes.substr(0, f.ends[1]) + std::string(3000, 'z') + f.bytes.substr(f.ends[1]);
  const ScanResult whole = ScanAll(bytes);
  for (size_t step : {1u, 7u, 500u, 4096u}) {
    std::string buffer;
    size_t fed = 0;
    int blocks = 0;
    int bad = 0;
    size_t records = 0;
    BlockDecoder decoder;
    while (true) {
      const size_t n = std::min(step, bytes.size() - fed);
      buffer.append(bytes, fed, n);
      fed += n;
      const bool at_end = fed == bytes.size();
      SegmentScanner scanner(buffer, at_end);
      BlockView block;
      while (scanner.Next(&block)) {
        ++blocks;
        if (!decoder.Decode(block, [&](const Record&) { ++records; }).ok()) ++bad;
      }
      buffer.erase(0, scanner.consumed());
      if (at_end) break;
    }
    EXPECT_EQ(blocks, whole.blocks) << step;
    EXPECT_EQ(bad, whole.bad) << step;
    EXPECT_EQ(records, whole.records.size()) << step;
    EXPECT_TRUE(buffer.empty()) << step;
  }
}

TEST(SegmentTest, RefusesRecordsOverTheBounds) {
  BlockBuilder builder;
  std::string out;
  EXPECT_FALSE(builder.AppendBlock({}, &out).ok());
  const std::string big(kMaxCertificateBytes + 1, 'x');
  EXPECT_FALSE(builder.AppendBlock({{"", 0, big}}, &out).ok());
  EXPECT_FALSE(builder.AppendBlock({{"", 0, ""}}, &out).ok());
  std::vector<Record> many(kMaxBlockRecords + 1, Record{"", 0, "x"});
  EXPECT_FALSE(builder.AppendBlock(many, &out).ok());
  EXPECT_TRUE(out.empty());
}

TEST(SegmentTest, AHeaderClaimingTooMuchIsNoHeader) {
  BlockBuilder builder;
  std::string bytes = BuildBlock(&builder, MakeRecords(0, 2));
  // Claim 2^31 payload bytes and fix the header checksum: still refused, so
  // a reader never waits for (or allocates) more than kMaxBlockBytes.
  std::string header = bytes.substr(0, 32);
  header[7] = static_cast<char>(0x80);
  const uint64_t check = XXH3_64bits(header.data(), 24);
  for (int i = 0; i < 8; ++i) header[24 + i] = static_cast<char>(check >> (8 * i));
  const ScanResult r = ScanAll(header + bytes.substr(32));
  EXPECT_EQ(r.bad, 1);
  EXPECT_TRUE(r.records.empty());
}

}  // namespace
}  // namespace ctmr::segment
