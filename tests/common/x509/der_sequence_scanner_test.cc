#include "common/x509/der_sequence_scanner.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace ctmr::x509 {
namespace {

struct Element {
  std::string der;
  bool malformed = false;
  friend bool operator==(const Element& a, const Element& b) {
    return a.der == b.der && a.malformed == b.malformed;
  }
  friend std::ostream& operator<<(std::ostream& os, const Element& e) {
    return os << "{" << e.der.size() << " bytes" << (e.malformed ? ", malformed" : "") << "}";
  }
};

std::vector<Element> ScanAll(std::string_view buffer, size_t* consumed = nullptr) {
  DerSequenceScanner scanner(buffer);
  std::vector<Element> out;
  std::string_view der;
  bool malformed = false;
  while (scanner.Next(&der, &malformed)) {
    out.push_back(Element{std::string(der), malformed});
    if (out.size() > 10000) break;  // fail instead of hanging
  }
  if (consumed != nullptr) *consumed = scanner.consumed();
  return out;
}

// Real certificates (issuers of the Navigli 2025h2 test log) from tests/data.
std::string ReadTestCertificate(const std::string& name) {
  std::ifstream in("tests/data/certs/" + name, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<std::string> RealCertificates() {
  std::vector<std::string> out;
  for (const char* name :
       {"navigli2025h2-issuer-54588456f084df53.der", "navigli2025h2-issuer-8dbfd9adf53278fc.der",
        "navigli2025h2-issuer-e70570a989f8565a.der"}) {
    out.push_back(ReadTestCertificate(name));
    EXPECT_GT(out.back().size(), 1000u) << name;
    EXPECT_EQ(out.back()[0], '\x30') << name;
  }
  return out;
}

std::string Bytes(std::initializer_list<int> bytes) {
  std::string out;
  for (int b : bytes) out += static_cast<char>(b);
  return out;
}

TEST(DerSequenceScannerTest, EmptyBuffer) {
  size_t consumed = 1;
  EXPECT_TRUE(ScanAll("", &consumed).empty());
  EXPECT_EQ(consumed, 0u);
}

TEST(DerSequenceScannerTest, RealCertificatesBackToBack) {
  const std::vector<std::string> certs = RealCertificates();
  std::string buffer;
  std::vector<Element> expected;
  for (const std::string& cert : certs) {
    buffer += cert;
    expected.push_back(Element{cert, false});
  }
  size_t consumed = 0;
  EXPECT_EQ(ScanAll(buffer, &consumed), expected);
  EXPECT_EQ(consumed, buffer.size());
}

TEST(DerSequenceScannerTest, ShortAndLongFormLengths) {
  const std::string short_form = Bytes({0x30, 0x03, 0x02, 0x01, 0x07});
  const std::string empty_sequence = Bytes({0x30, 0x00});
  const std::string one_octet = Bytes({0x30, 0x81, 0x80}) + std::string(0x80, 'a');
  const std::string two_octets = Bytes({0x30, 0x82, 0x01, 0x2c}) + std::string(300, 'b');
  const std::string three_octets = Bytes({0x30, 0x83, 0x01, 0x00, 0x00}) + std::string(65536, 'c');
  const std::string buffer = short_form + empty_sequence + one_octet + two_octets + three_octets;
  size_t consumed = 0;
  EXPECT_EQ(ScanAll(buffer, &consumed), (std::vector<Element>{{short_form, false},
                                                              {empty_sequence, false},
                                                              {one_octet, false},
                                                              {two_octets, false},
                                                              {three_octets, false}}));
  EXPECT_EQ(consumed, buffer.size());
}

TEST(DerSequenceScannerTest, HalfWrittenTailAtEverySplitPoint) {
  const std::vector<std::string> certs = RealCertificates();
  std::string buffer;
  std::vector<size_t> ends;
  for (const std::string& cert : certs) {
    buffer += cert;
    ends.push_back(buffer.size());
  }
  buffer += Bytes({0x30, 0x02, 0x05, 0x00});
  ends.push_back(buffer.size());
  const std::vector<Element> expected = ScanAll(buffer);
  ASSERT_EQ(expected.size(), ends.size());
  for (size_t split = 0; split <= buffer.size(); ++split) {
    SCOPED_TRACE(testing::Message() << "split " << split);
    size_t consumed = 0;
    std::vector<Element> got = ScanAll(std::string_view(buffer).substr(0, split), &consumed);
    size_t complete = 0;
    while (complete < ends.size() && ends[complete] <= split) ++complete;
    ASSERT_EQ(got.size(), complete);
    ASSERT_EQ(consumed, complete == 0 ? 0 : ends[complete - 1]);
    size_t rest_consumed = 0;
    const std::vector<Element> rest =
        ScanAll(std::string_view(buffer).substr(consumed), &rest_consumed);
    ASSERT_EQ(consumed + rest_consumed, buffer.size());
    got.insert(got.end(), rest.begin(), rest.end());
    ASSERT_EQ(got, expected);
  }
}

TEST(DerSequenceScannerTest, IncompleteHeaderWaits) {
  for (const std::string& buffer :
       {Bytes({0x30}), Bytes({0x30, 0x81}), Bytes({0x30, 0x82, 0x01}),
        Bytes({0x30, 0x83, 0x01, 0x00}), Bytes({0x30, 0x05, 0x01, 0x02})}) {
    size_t consumed = 1;
    EXPECT_TRUE(ScanAll(buffer, &consumed).empty()) << buffer.size();
    EXPECT_EQ(consumed, 0u);
  }
}

TEST(DerSequenceScannerTest, GarbageHeaderConsumesTheRestOnce) {
  const std::vector<std::string> certs = RealCertificates();
  for (const std::string& garbage :
       {Bytes({0x31, 0x03, 0x01, 0x02, 0x03}),              // SET, not SEQUENCE
        Bytes({0x2d, 0x2d, 0x2d, 0x2d, 0x2d}),              // "-----": a PEM file named .cer
        Bytes({0x30, 0x80, 0x00, 0x00}),                    // indefinite length (BER, not DER)
        Bytes({0x30, 0x84, 0x00, 0x00, 0x01, 0x00, 0x01}),  // 4 length octets
        Bytes({0x30, 0xff, 0x01})}) {
    // Garbage first: one malformed element covering everything, real certs included.
    const std::string buffer = garbage + certs[0] + certs[1];
    DerSequenceScanner scanner(buffer);
    std::string_view der;
    bool malformed = false;
    ASSERT_TRUE(scanner.Next(&der, &malformed));
    EXPECT_TRUE(malformed);
    EXPECT_EQ(der, buffer);
    EXPECT_EQ(scanner.consumed(), buffer.size());
    EXPECT_FALSE(scanner.Next(&der, &malformed));
    EXPECT_EQ(scanner.consumed(), buffer.size());

    // Garbage after good certificates: they are returned first.
    const std::string tail_buffer = certs[0] + certs[1] + garbage + certs[2];
    size_t consumed = 0;
    EXPECT_EQ(
        ScanAll(tail_buffer, &consumed),
        (std::vector<Element>{{certs[0], false}, {certs[1], false}, {garbage + certs[2], true}}));
    EXPECT_EQ(consumed, tail_buffer.size());
  }
}

TEST(DerSequenceScannerTest, LengthBound) {
  // Exactly kMaxDerCertificateBytes of content is accepted...
  const std::string at_bound =
      Bytes({0x30, 0x83, 0x10, 0x00, 0x00}) + std::string(kMaxDerCertificateBytes, 'x');
  static_assert(kMaxDerCertificateBytes == 0x100000);
  size_t consumed = 0;
  EXPECT_EQ(ScanAll(at_bound, &consumed), (std::vector<Element>{{at_bound, false}}));
  EXPECT_EQ(consumed, at_bound.size());
  // ...and waited for while incomplete.
  EXPECT_TRUE(
      ScanAll(std::string_view(at_bound).substr(0, at_bound.size() - 1), &consumed).empty());
  EXPECT_EQ(consumed, 0u);

  // One byte more is malformed as soon as the header is seen, without waiting
  // for (or buffering) the claimed content.
  const std::string over = Bytes({0x30, 0x83, 0x10, 0x00, 0x01}) + "abc";
  EXPECT_EQ(ScanAll(over, &consumed), (std::vector<Element>{{over, true}}));
  EXPECT_EQ(consumed, over.size());
  const std::string huge = Bytes({0x30, 0x83, 0xff, 0xff, 0xff});
  EXPECT_EQ(ScanAll(huge, &consumed), (std::vector<Element>{{huge, true}}));
}

}  // namespace
}  // namespace ctmr::x509
