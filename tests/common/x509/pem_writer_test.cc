// common/x509/pem_writer: ct-fetch's PEM blocks, and their headers read back
// through PemScanner (what `ct-worker compact` relies on).
#include "common/x509/pem_writer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <string_view>

#include "common/x509/base64.h"
#include "common/x509/pem_scanner.h"

namespace ctmr::x509 {
namespace {

TEST(PemWriterTest, FormatsRfc3339) {
  EXPECT_EQ(FormatRfc3339Millis(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(FormatRfc3339Millis(1746292403102), "2025-05-03T17:13:23.102Z");
  std::string date;
  AppendUtcDate(1746292403, &date);
  EXPECT_EQ(date, "2025-05-03");
}

TEST(PemWriterTest, ParsesWhatItFormats) {
  for (uint64_t ms : {uint64_t{0}, uint64_t{1}, uint64_t{1746292403102}, uint64_t{951782400000},
                      uint64_t{253402300799999}}) {
    EXPECT_EQ(ParseRfc3339Millis(FormatRfc3339Millis(ms)), ms) << ms;
  }
  EXPECT_EQ(ParseRfc3339Millis("2025-05-03T17:13:23Z"), uint64_t{1746292403000});
  EXPECT_EQ(ParseRfc3339Millis("2025-05-03T17:13:23.1Z"), uint64_t{1746292403100});
  EXPECT_EQ(ParseRfc3339Millis("2025-05-03T17:13:23.102999Z"), uint64_t{1746292403102});
  for (std::string_view bad :
       {"", "2025-05-03", "2025-05-03T17:13:23.102", "2025-13-03T17:13:23Z", "2025-05-03T24:13:23Z",
        "2025-05-03T17:13:23.Z", "2025-05-03T17:13:23.102+01:00", "1969-12-31T23:59:59Z"}) {
    EXPECT_EQ(ParseRfc3339Millis(bad), std::nullopt) << bad;
  }
}

TEST(PemWriterTest, BlockHasHeadersAndWrappedBase64) {
  const std::string block = FormatPemBlock("https://log.example/", 1746292403102, "\x30\x03xyz");
  EXPECT_EQ(block,
            "-----BEGIN CERTIFICATE-----\nLog: https://log.example/\n"
            "Recorded-at: 2025-05-03T17:13:23.102Z\n\nMAN4eXo=\n-----END CERTIFICATE-----\n");
  const std::string der(1000, '\x30');
  const std::string big = FormatPemBlock("u", 0, der);
  size_t longest = 0;
  for (size_t pos = 0, next; (next = big.find('\n', pos)) != std::string::npos; pos = next + 1) {
    longest = std::max(longest, next - pos);
  }
  EXPECT_EQ(longest, 64u);
}

TEST(PemWriterTest, WritesOnlyTheHeadersItKnows) {
  EXPECT_EQ(FormatPemBlock("", 0, "\x30\x03xyz"),
            "-----BEGIN CERTIFICATE-----\nMAN4eXo=\n-----END CERTIFICATE-----\n");
  EXPECT_EQ(FormatPemBlock("u", 0, "\x30\x03xyz"),
            "-----BEGIN CERTIFICATE-----\nLog: u\n\nMAN4eXo=\n-----END CERTIFICATE-----\n");
  EXPECT_EQ(FormatPemBlock("", 1000, "\x30\x03xyz"),
            "-----BEGIN CERTIFICATE-----\nRecorded-at: 1970-01-01T00:00:01.000Z\n\n"
            "MAN4eXo=\n-----END CERTIFICATE-----\n");
}

TEST(PemWriterTest, ScannerReturnsTheHeadersBack) {
  const std::string der = "\x30\x03xyz";
  for (const auto& [log, ms] : {std::pair<std::string, uint64_t>{"https://log.example/", 17},
                                {"", 0},
                                {"u", 0},
                                {"", 1746292403102}}) {
    const std::string text = FormatPemBlock(log, ms, der);
    PemScanner scanner(text, true);
    PemBlock block;
    ASSERT_TRUE(scanner.Next(&block));
    EXPECT_FALSE(block.malformed);
    const PemHeaders headers = ParsePemHeaders(block.headers);
    EXPECT_EQ(headers.log_url, log);
    EXPECT_EQ(headers.recorded_at_ms, ms);
    std::string scratch;
    std::string_view decoded;
    ASSERT_TRUE(DecodeBase64Reusing(block.body, &scratch, &decoded));
    EXPECT_EQ(decoded, der);
  }
}

TEST(PemWriterTest, HeadersWithCrLfAndOthersParse) {
  const PemHeaders h =
      ParsePemHeaders("Proc-Type: 4,ENCRYPTED\r\nLog: https://l/\r\nRecorded-at: junk\r\n");
  EXPECT_EQ(h.log_url, "https://l/");
  EXPECT_EQ(h.recorded_at_ms, 0u);
}

}  // namespace
}  // namespace ctmr::x509
