#include "common/x509/pem_scanner.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

namespace ctmr::x509 {
namespace {

// A block as the tests compare it: owning copies, and no body for malformed
// blocks (the contract does not say what it holds then).
struct Block {
  std::string label;
  std::string body;
  bool malformed = false;

  friend bool operator==(const Block& a, const Block& b) {
    return a.label == b.label && a.body == b.body && a.malformed == b.malformed;
  }
  friend std::ostream& operator<<(std::ostream& os, const Block& b) {
    return os << "{" << b.label << ", \"" << b.body << "\"" << (b.malformed ? ", malformed" : "")
              << "}";
  }
};

Block Good(std::string label, std::string body) { return Block{label, body, false}; }
Block Bad(std::string label) { return Block{label, "", true}; }

std::vector<Block> ScanAll(std::string_view buffer, bool at_end, size_t* consumed = nullptr) {
  PemScanner scanner(buffer, at_end);
  std::vector<Block> out;
  PemBlock block;
  while (scanner.Next(&block)) {
    out.push_back(Block{std::string(block.label), block.malformed ? "" : std::string(block.body),
                        block.malformed});
    EXPECT_LE(scanner.consumed(), buffer.size());
    if (out.size() > 1000) break;  // a scanner that loops forever fails instead of hanging
  }
  if (consumed != nullptr) *consumed = scanner.consumed();
  return out;
}

constexpr std::string_view kBody1 =
    "MIIBszCCAVmgAwIBAgIUYmFzZTY0IGJvZHkgb2YgYSB0ZXN0IGJsb2NrMAoGCCqG\n"
    "SM49BAMCMBQxEjAQBgNVBAMMCXRlc3Qtcm9vdDAeFw0yNjAxMDEwMDAwMDBaFw0y\n"
    "NjA0MDEwMDAwMDBa\n";
constexpr std::string_view kBody2 = "MIIBCgKCAQEAvN1c2Vy\nZm9vYmFy\n";

std::string PemBlockText(std::string_view label, std::string_view headers, std::string_view body) {
  std::string out = "-----BEGIN " + std::string(label) + "-----\n";
  out += headers;
  out += body;
  out += "-----END " + std::string(label) + "-----\n";
  return out;
}

std::string ToCrlf(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '\n') out += '\r';
    out += c;
  }
  return out;
}

TEST(PemScannerTest, EmptyBuffer) {
  for (bool at_end : {false, true}) {
    size_t consumed = 99;
    EXPECT_TRUE(ScanAll("", at_end, &consumed).empty());
    EXPECT_EQ(consumed, 0u);
  }
}

TEST(PemScannerTest, OneCompleteBlock) {
  const std::string text = PemBlockText("CERTIFICATE", "", kBody1);
  for (bool at_end : {false, true}) {
    size_t consumed = 0;
    EXPECT_EQ(ScanAll(text, at_end, &consumed),
              std::vector<Block>{Good("CERTIFICATE", std::string(kBody1))});
    EXPECT_EQ(consumed, text.size());
  }
}

TEST(PemScannerTest, BodyViewsPointIntoTheBuffer) {
  const std::string text = PemBlockText("CERTIFICATE", "", kBody1);
  PemScanner scanner(text, true);
  PemBlock block;
  ASSERT_TRUE(scanner.Next(&block));
  EXPECT_GE(block.body.data(), text.data());
  EXPECT_LE(block.body.data() + block.body.size(), text.data() + text.size());
  EXPECT_FALSE(scanner.Next(&block));
}

TEST(PemScannerTest, BlocksBackToBackAndOtherLabels) {
  const std::string text = PemBlockText("CERTIFICATE", "", kBody1) +
                           PemBlockText("PRIVATE KEY", "", kBody2) +
                           PemBlockText("CERTIFICATE", "", kBody2);
  size_t consumed = 0;
  EXPECT_EQ(ScanAll(text, true, &consumed),
            (std::vector<Block>{Good("CERTIFICATE", std::string(kBody1)),
                                Good("PRIVATE KEY", std::string(kBody2)),
                                Good("CERTIFICATE", std::string(kBody2))}));
  EXPECT_EQ(consumed, text.size());
}

// A block is complete only with the '\n' of its END line: ct-fetch cuts a
// last block without it and writes it again, so a map that counted it would
// record an offset inside the bytes written again.
TEST(PemScannerTest, EndLineWithoutNewlineIsNotComplete) {
  const std::string first = PemBlockText("CERTIFICATE", "", kBody1);
  std::string last = PemBlockText("CERTIFICATE", "Log: x\n\n", kBody2);
  last.pop_back();
  for (const std::string& tail : {last, last + "\r"}) {
    for (bool at_end : {false, true}) {
      size_t consumed = 0;
      EXPECT_EQ(ScanAll(first + tail, at_end, &consumed),
                std::vector<Block>{Good("CERTIFICATE", std::string(kBody1))});
      EXPECT_EQ(consumed, first.size());
    }
  }
  size_t consumed = 0;
  EXPECT_EQ(ScanAll(first + last + "\n", true, &consumed),
            (std::vector<Block>{Good("CERTIFICATE", std::string(kBody1)),
                                Good("CERTIFICATE", std::string(kBody2))}));
  EXPECT_EQ(consumed, first.size() + last.size() + 1);
}

// CompletePemPrefix is where ct-fetch cuts a torn tail: exactly where a map
// reading to the end stops, from wherever in the file the text starts.
TEST(PemScannerTest, CompletePemPrefixIsWhereTheMapStops) {
  const std::string b1 = PemBlockText("CERTIFICATE", "Log: https://log.example/\n\n", kBody1);
  const std::string b2 = PemBlockText("CERTIFICATE", "", kBody2);
  const std::string whole = b1 + "garbage\n" + b2 + "trailing words\n";
  for (size_t cut = 0; cut <= whole.size(); ++cut) {
    const std::string text = whole.substr(0, cut);
    size_t map_stops = 0;
    ScanAll(text, true, &map_stops);
    ASSERT_EQ(CompletePemPrefix(text), map_stops) << "cut " << cut;
    // From any start within the file (ct-fetch reads only a window).
    for (size_t start : {size_t{0}, b1.size() / 2, b1.size()}) {
      if (start > cut) continue;
      if (start > map_stops) continue;
      EXPECT_EQ(start + CompletePemPrefix(std::string_view(text).substr(start)), map_stops)
          << "cut " << cut << " start " << start;
    }
  }
  EXPECT_EQ(CompletePemPrefix(b1 + b2), b1.size() + b2.size());
  EXPECT_EQ(CompletePemPrefix(b1 + b2.substr(0, b2.size() - 1)), b1.size());
  EXPECT_EQ(CompletePemPrefix(ToCrlf(b1 + b2)), ToCrlf(b1 + b2).size());
  EXPECT_EQ(CompletePemPrefix(b1 + "-----BEG"), b1.size());
  EXPECT_EQ(CompletePemPrefix(""), 0u);
}

TEST(PemScannerTest, Rfc1421HeadersAreStripped) {
  const std::string headers =
      "Log: https://ct.example.com/2026h1/\nRecorded-at: 2026-11-26T10:11:12Z\n\n";
  const std::string text = PemBlockText("CERTIFICATE", headers, kBody1) +
                           PemBlockText("CERTIFICATE", "Log: https://other.example/\n\n", kBody2);
  size_t consumed = 0;
  EXPECT_EQ(ScanAll(text, true, &consumed),
            (std::vector<Block>{Good("CERTIFICATE", std::string(kBody1)),
                                Good("CERTIFICATE", std::string(kBody2))}));
  EXPECT_EQ(consumed, text.size());
}

TEST(PemScannerTest, CrlfLineEndingsWithAndWithoutHeaders) {
  const std::string text = ToCrlf(
      PemBlockText("CERTIFICATE", "Log: https://ct.example.com/\nRecorded-at: x\n\n", kBody1) +
      "text between\n" + PemBlockText("CERTIFICATE", "", kBody2));
  size_t consumed = 0;
  EXPECT_EQ(ScanAll(text, true, &consumed),
            (std::vector<Block>{Good("CERTIFICATE", ToCrlf(kBody1)),
                                Good("CERTIFICATE", ToCrlf(kBody2))}));
  EXPECT_EQ(consumed, text.size());
}

TEST(PemScannerTest, MissingBlankLineAfterHeadersIsMalformed) {
  const std::string text =
      PemBlockText("CERTIFICATE", "Log: https://ct.example.com/\nRecorded-at: x\n", kBody1) +
      PemBlockText("CERTIFICATE", "", kBody2);
  size_t consumed = 0;
  EXPECT_EQ(ScanAll(text, true, &consumed),
            (std::vector<Block>{Bad("CERTIFICATE"), Good("CERTIFICATE", std::string(kBody2))}));
  EXPECT_EQ(consumed, text.size());
}

TEST(PemScannerTest, MismatchedEndLabelIsMalformed) {
  const std::string text = "-----BEGIN CERTIFICATE-----\n" + std::string(kBody1) +
                           "-----END PRIVATE KEY-----\n" + PemBlockText("CERTIFICATE", "", kBody2);
  size_t consumed = 0;
  EXPECT_EQ(ScanAll(text, true, &consumed),
            (std::vector<Block>{Bad("CERTIFICATE"), Good("CERTIFICATE", std::string(kBody2))}));
  EXPECT_EQ(consumed, text.size());
}

TEST(PemScannerTest, BeginWithoutEndFollowedByAnotherBlock) {
  // A writer died mid-block; another writer appended a whole block after it.
  const std::string text = "-----BEGIN CERTIFICATE-----\nLog: x\n\nMIIBszCCAVmg\nAwIB" +
                           PemBlockText("CERTIFICATE", "", kBody2);
  for (bool at_end : {false, true}) {
    size_t consumed = 0;
    EXPECT_EQ(ScanAll(text, at_end, &consumed),
              (std::vector<Block>{Bad("CERTIFICATE"), Good("CERTIFICATE", std::string(kBody2))}));
    EXPECT_EQ(consumed, text.size());
  }
}

TEST(PemScannerTest, BeginLineWithoutClosingDashesIsMalformed) {
  const std::string text = "-----BEGIN CERTIFICATE\n" + std::string(kBody1) +
                           "-----END CERTIFICATE-----\n" + PemBlockText("CERTIFICATE", "", kBody2);
  size_t consumed = 0;
  const std::vector<Block> blocks = ScanAll(text, true, &consumed);
  ASSERT_EQ(blocks.size(), 2u);
  EXPECT_TRUE(blocks[0].malformed);
  EXPECT_EQ(blocks[1], Good("CERTIFICATE", std::string(kBody2)));
  EXPECT_EQ(consumed, text.size());
}

TEST(PemScannerTest, TextOutsideBlocksIsSkipped) {
  const std::string text = "# a comment\nsome garbage: here\n\n" +
                           PemBlockText("CERTIFICATE", "", kBody1) + "-- between --\r\n\n" +
                           PemBlockText("CERTIFICATE", "", kBody2) + "trailing words\n";
  const std::vector<Block> expected = {Good("CERTIFICATE", std::string(kBody1)),
                                       Good("CERTIFICATE", std::string(kBody2))};
  size_t consumed = 0;
  EXPECT_EQ(ScanAll(text, true, &consumed), expected);
  EXPECT_EQ(consumed, text.size());
  EXPECT_EQ(ScanAll(text, false, &consumed), expected);
  // More bytes may follow: at most the bytes that could begin "-----BEGIN " stay.
  EXPECT_LE(consumed, text.size());
  EXPECT_GE(consumed, text.size() - (std::string_view("-----BEGIN ").size() - 1));
}

TEST(PemScannerTest, OnlyGarbage) {
  const std::string text(5000, 'x');
  size_t consumed = 0;
  EXPECT_TRUE(ScanAll(text, true, &consumed).empty());
  EXPECT_EQ(consumed, text.size());
  EXPECT_TRUE(ScanAll(text, false, &consumed).empty());
  EXPECT_GE(consumed, text.size() - 10);
  EXPECT_LE(consumed, text.size());
}

TEST(PemScannerTest, AtEndKeepsATailThatMayStillBecomeABeginLine) {
  const std::string block = PemBlockText("CERTIFICATE", "", kBody1);
  for (std::string_view tail :
       {"-", "-----", "-----BEG", "-----BEGIN", "-----BEGIN CERT", "-----BEGIN CERTIFICATE-----",
        "-----BEGIN CERTIFICATE-----\n", "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIF"}) {
    const std::string text = block + "junk\n" + std::string(tail);
    for (bool at_end : {false, true}) {
      size_t consumed = 0;
      EXPECT_EQ(ScanAll(text, at_end, &consumed),
                std::vector<Block>{Good("CERTIFICATE", std::string(kBody1))})
          << tail;
      EXPECT_GE(consumed, block.size()) << tail;
      EXPECT_LE(consumed, block.size() + 5) << tail << " at_end " << at_end;
    }
  }
}

TEST(PemScannerTest, AtEndConsumesTrailingTextWithoutDashes) {
  const std::string block = PemBlockText("CERTIFICATE", "", kBody1);
  const std::string text = block + "no dash here";
  size_t consumed = 0;
  ScanAll(text, true, &consumed);
  EXPECT_EQ(consumed, text.size());
  ScanAll(text, false, &consumed);
  EXPECT_GE(consumed, block.size());
  EXPECT_LT(consumed, text.size());  // "here" may yet grow into anything
}

TEST(PemScannerTest, HalfWrittenBlockIsLeftAlone) {
  const std::string first = PemBlockText("CERTIFICATE", "", kBody1);
  const std::string text = first + "-----BEGIN CERTIFICATE-----\nLog: x\n\nMIIBCgKC";
  for (bool at_end : {false, true}) {
    size_t consumed = 0;
    EXPECT_EQ(ScanAll(text, at_end, &consumed),
              std::vector<Block>{Good("CERTIFICATE", std::string(kBody1))});
    EXPECT_EQ(consumed, first.size());
  }
}

// The reader's promise: a map that reads a file while ct-fetch appends to it
// sees every block exactly once, whatever byte the writer had reached.
void CheckEverySplitPoint(const std::string& text, const std::vector<Block>& expected,
                          const std::vector<size_t>& block_starts) {
  ASSERT_EQ(ScanAll(text, true), expected);
  for (size_t split = 0; split <= text.size(); ++split) {
    for (bool at_end : {false, true}) {
      SCOPED_TRACE(testing::Message() << "split " << split << " at_end " << at_end);
      const std::string prefix = text.substr(0, split);
      size_t consumed = 0;
      std::vector<Block> blocks = ScanAll(prefix, at_end, &consumed);
      ASSERT_LE(consumed, split);
      ASSERT_LE(blocks.size(), expected.size());
      // consumed() never passes the start of a block not yet returned.
      if (blocks.size() < block_starts.size()) {
        ASSERT_LE(consumed, block_starts[blocks.size()]);
      }
      size_t rest_consumed = 0;
      const std::vector<Block> rest =
          ScanAll(std::string_view(text).substr(consumed), true, &rest_consumed);
      EXPECT_EQ(consumed + rest_consumed, text.size());
      blocks.insert(blocks.end(), rest.begin(), rest.end());
      ASSERT_EQ(blocks, expected);
    }
  }
}

TEST(PemScannerTest, TwoBlocksSplitAtEveryByte) {
  const std::string b1 = PemBlockText("CERTIFICATE", "", kBody1);
  const std::string b2 = PemBlockText("CERTIFICATE", "", kBody2);
  CheckEverySplitPoint(
      b1 + b2, {Good("CERTIFICATE", std::string(kBody1)), Good("CERTIFICATE", std::string(kBody2))},
      {0, b1.size()});
}

TEST(PemScannerTest, TwoBlocksWithHeadersAndGarbageSplitAtEveryByte) {
  const std::string lead = "garbage line\n";
  const std::string b1 = PemBlockText(
      "CERTIFICATE", "Log: https://ct.example.com/2026/\nRecorded-at: 2026-11-26T10:11:12Z\n\n",
      kBody1);
  const std::string mid = "between - the blocks\n";
  const std::string b2 =
      PemBlockText("CERTIFICATE", "Log: https://ct.example.com/2027/\n\n", kBody2);
  CheckEverySplitPoint(
      lead + b1 + mid + b2 + "tail\n",
      {Good("CERTIFICATE", std::string(kBody1)), Good("CERTIFICATE", std::string(kBody2))},
      {lead.size(), lead.size() + b1.size() + mid.size()});
}

TEST(PemScannerTest, TwoCrlfBlocksWithHeadersSplitAtEveryByte) {
  const std::string b1 = ToCrlf(PemBlockText("CERTIFICATE", "Log: a\nRecorded-at: b\n\n", kBody1));
  const std::string b2 = ToCrlf(PemBlockText("CERTIFICATE", "Log: c\n\n", kBody2));
  CheckEverySplitPoint(b1 + b2,
                       {Good("CERTIFICATE", ToCrlf(kBody1)), Good("CERTIFICATE", ToCrlf(kBody2))},
                       {0, b1.size()});
}

TEST(PemScannerTest, MalformedBlocksSplitAtEveryByte) {
  const std::string dead = "-----BEGIN CERTIFICATE-----\nLog: x\n\nMIIBszCC\n";
  const std::string mismatched =
      "-----BEGIN CERTIFICATE-----\n" + std::string(kBody2) + "-----END X509 CRL-----\n";
  const std::string good = PemBlockText("CERTIFICATE", "", kBody1);
  CheckEverySplitPoint(
      dead + mismatched + good,
      {Bad("CERTIFICATE"), Bad("CERTIFICATE"), Good("CERTIFICATE", std::string(kBody1))},
      {0, dead.size(), dead.size() + mismatched.size()});
}

TEST(PemScannerTest, BlockWithoutEndWithinTheBoundWaits) {
  const std::string begin = "-----BEGIN CERTIFICATE-----\n";
  std::string text = begin + std::string(kMaxPemBlockBytes - begin.size(), 'A');
  ASSERT_EQ(text.size(), kMaxPemBlockBytes);
  for (bool at_end : {false, true}) {
    size_t consumed = 1;
    EXPECT_TRUE(ScanAll(text, at_end, &consumed).empty());
    EXPECT_EQ(consumed, 0u);
  }
}

TEST(PemScannerTest, BlockLongerThanTheBoundWithoutEndIsMalformed) {
  const std::string begin = "-----BEGIN CERTIFICATE-----\n";
  std::string line(63, 'A');
  line += '\n';
  std::string text = begin;
  while (text.size() <= kMaxPemBlockBytes) text += line;
  for (bool at_end : {false, true}) {
    size_t consumed = 0;
    EXPECT_EQ(ScanAll(text, at_end, &consumed), std::vector<Block>{Bad("CERTIFICATE")});
    // The scanner moved past the block's start, so a reader does not buffer it again.
    EXPECT_GT(consumed, 0u);
    if (at_end) {
      EXPECT_EQ(consumed, text.size());
    }
  }
  // A block written after the runaway one is still found.
  text += PemBlockText("CERTIFICATE", "", kBody2);
  EXPECT_EQ(ScanAll(text, true),
            (std::vector<Block>{Bad("CERTIFICATE"), Good("CERTIFICATE", std::string(kBody2))}));
}

TEST(PemScannerTest, BeginLineLongerThanTheBoundIsMalformed) {
  const std::string text = "-----BEGIN " + std::string(kMaxPemBlockBytes, 'C');
  size_t consumed = 0;
  const std::vector<Block> blocks = ScanAll(text, true, &consumed);
  ASSERT_EQ(blocks.size(), 1u);
  EXPECT_TRUE(blocks[0].malformed);
  EXPECT_GT(consumed, 0u);
}

TEST(PemScannerTest, EndLineLongerThanTheBoundIsMalformed) {
  // "-----END " and then neither dashes nor a line break: without the bound a
  // reader would keep the whole rest of the file in memory, waiting.
  const std::string start = "-----BEGIN CERTIFICATE-----\n" + std::string(kBody1) + "-----END ";
  const std::string text = start + std::string(kMaxPemBlockBytes, 'C');
  for (bool at_end : {false, true}) {
    size_t consumed = 0;
    EXPECT_EQ(ScanAll(text, at_end, &consumed), std::vector<Block>{Bad("CERTIFICATE")});
    EXPECT_GE(consumed, start.size());
  }
  // Within the bound it is an END line still being written.
  size_t consumed = 1;
  EXPECT_TRUE(
      ScanAll(std::string_view(text).substr(0, kMaxPemBlockBytes), false, &consumed).empty());
  EXPECT_EQ(consumed, 0u);
}

TEST(PemScannerTest, CompleteBlockNearTheBoundIsFine) {
  std::string body;
  while (body.size() < kMaxPemBlockBytes - 200) body += std::string(63, 'B') + "\n";
  const std::string text = PemBlockText("CERTIFICATE", "", body);
  size_t consumed = 0;
  EXPECT_EQ(ScanAll(text, false, &consumed), std::vector<Block>{Good("CERTIFICATE", body)});
  EXPECT_EQ(consumed, text.size());
}

}  // namespace
}  // namespace ctmr::x509
