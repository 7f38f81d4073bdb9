#include "common/x509/base64.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

namespace ctmr::x509 {
namespace {

// A straightforward encoder, independent of the decoder under test.
std::string Encode(const std::string& bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const uint32_t v = (uint32_t{static_cast<uint8_t>(bytes[i])} << 16) |
                       (uint32_t{static_cast<uint8_t>(bytes[i + 1])} << 8) |
                       static_cast<uint8_t>(bytes[i + 2]);
    out += kAlphabet[v >> 18];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  const size_t rest = bytes.size() - i;
  if (rest == 1) {
    const uint32_t v = uint32_t{static_cast<uint8_t>(bytes[i])} << 16;
    out += kAlphabet[v >> 18];
    out += kAlphabet[(v >> 12) & 63];
    out += "==";
  } else if (rest == 2) {
    const uint32_t v = (uint32_t{static_cast<uint8_t>(bytes[i])} << 16) |
                       (uint32_t{static_cast<uint8_t>(bytes[i + 1])} << 8);
    out += kAlphabet[v >> 18];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += '=';
  }
  return out;
}

std::string Wrap(const std::string& text, size_t width, const std::string& eol) {
  std::string out;
  for (size_t i = 0; i < text.size(); i += width) out += text.substr(i, width) + eol;
  return out;
}

TEST(Base64Test, Rfc4648TestVectors) {
  const std::pair<const char*, const char*> kVectors[] = {
      {"", ""},
      {"f", "Zg=="},
      {"fo", "Zm8="},
      {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="},
      {"fooba", "Zm9vYmE="},
      {"foobar", "Zm9vYmFy"},
  };
  for (const auto& [plain, encoded] : kVectors) {
    std::string out;
    ASSERT_TRUE(DecodeBase64(encoded, &out)) << encoded;
    EXPECT_EQ(out, plain) << encoded;
  }
}

TEST(Base64Test, DecodesAllByteValuesAndBothExtraCharacters) {
  std::string bytes;
  for (int i = 0; i < 256; ++i) bytes += static_cast<char>(i);
  const std::string encoded = Encode(bytes);
  ASSERT_NE(encoded.find('+'), std::string::npos);
  ASSERT_NE(encoded.find('/'), std::string::npos);
  std::string out;
  ASSERT_TRUE(DecodeBase64(encoded, &out));
  EXPECT_EQ(out, bytes);
}

TEST(Base64Test, RandomRoundTripWithPemLineBreaks) {
  std::mt19937 rng(42);
  for (size_t length = 0; length < 300; ++length) {
    std::string bytes(length, '\0');
    for (char& c : bytes) c = static_cast<char>(rng());
    for (const char* eol : {"\n", "\r\n"}) {
      for (size_t width : {64, 76, 1, 3, 5}) {
        std::string out;
        ASSERT_TRUE(DecodeBase64(Wrap(Encode(bytes), width, eol), &out))
            << "length " << length << " width " << width;
        EXPECT_EQ(out, bytes) << "length " << length << " width " << width;
      }
    }
  }
}

// Every byte value at every position of a 64-character line (one PEM line,
// four 16-character vector blocks): accepted exactly when it is in the
// alphabet, and then decoded to the value a plain table gives.
TEST(Base64Test, EveryByteAtEveryPositionOfALine) {
  static constexpr std::string_view kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::mt19937 rng(3);
  std::string bytes(48, '\0');
  for (char& c : bytes) c = static_cast<char>(rng());
  const std::string line = Encode(bytes);
  ASSERT_EQ(line.size(), 64u);
  for (size_t pos = 0; pos < line.size(); ++pos) {
    for (int b = 0; b < 256; ++b) {
      std::string text = line + "\n" + line;
      text[pos] = static_cast<char>(b);
      const size_t value = kAlphabet.find(static_cast<char>(b));
      std::string out;
      const bool ok = DecodeBase64(text, &out);
      ASSERT_EQ(ok, value != std::string_view::npos) << "byte " << b << " at " << pos;
      if (!ok) continue;
      // Patch the expected bytes: six bits at bit offset 6 * pos.
      std::string expected = bytes;
      const size_t bit = 6 * pos;
      for (int i = 0; i < 6; ++i) {
        const size_t at = bit + i;
        const bool set = (value >> (5 - i)) & 1;
        char& byte = expected[at / 8];
        const char mask = static_cast<char>(0x80 >> (at % 8));
        byte = static_cast<char>(set ? (byte | mask) : (byte & ~mask));
      }
      ASSERT_EQ(out, expected + bytes) << "byte " << b << " at " << pos;
    }
  }
}

TEST(Base64Test, LongRunsWithoutLineBreaks) {
  std::mt19937 rng(9);
  for (size_t length : {12, 13, 14, 15, 24, 36, 47, 48, 49, 1000, 100000}) {
    std::string bytes(length, '\0');
    for (char& c : bytes) c = static_cast<char>(rng());
    std::string out = "x";
    ASSERT_TRUE(DecodeBase64(Encode(bytes), &out)) << length;
    EXPECT_EQ(out, "x" + bytes) << length;
    // A bad character late in a long run is still seen.
    std::string bad = Encode(bytes);
    bad[bad.size() - 5] = '.';
    EXPECT_FALSE(DecodeBase64(bad, &out)) << length;
  }
}

TEST(Base64Test, ReusingDecodesIntoAGrowOnlyBuffer) {
  std::mt19937 rng(5);
  std::string buffer;
  std::string_view decoded;
  for (size_t length : {1000, 10, 0, 5000, 3}) {
    std::string bytes(length, '\0');
    for (char& c : bytes) c = static_cast<char>(rng());
    const size_t capacity_before = buffer.size();
    ASSERT_TRUE(DecodeBase64Reusing(Wrap(Encode(bytes), 64, "\n"), &buffer, &decoded)) << length;
    EXPECT_EQ(decoded, bytes) << length;
    EXPECT_GE(buffer.size(), capacity_before);  // never shrinks
    if (!decoded.empty()) {
      EXPECT_EQ(decoded.data(), buffer.data());
    }
  }
  EXPECT_FALSE(DecodeBase64Reusing("Zm9v!mFy", &buffer, &decoded));
  EXPECT_FALSE(DecodeBase64Reusing("Zm9vY", &buffer, &decoded));
  EXPECT_FALSE(DecodeBase64Reusing("Zg==Zg==", &buffer, &decoded));
  ASSERT_TRUE(DecodeBase64Reusing("Zm9vYmE=", &buffer, &decoded));
  EXPECT_EQ(decoded, "fooba");
}

TEST(Base64Test, AppendsToExistingContents) {
  std::string out = "prefix:";
  ASSERT_TRUE(DecodeBase64("Zm9vYmFy", &out));
  EXPECT_EQ(out, "prefix:foobar");
  ASSERT_TRUE(DecodeBase64("Zg==", &out));
  EXPECT_EQ(out, "prefix:foobarf");
}

TEST(Base64Test, IgnoresAllAsciiWhitespace) {
  std::string out;
  ASSERT_TRUE(DecodeBase64(" Zm\t9v\r\nYm\vFy\f\n ", &out));
  EXPECT_EQ(out, "foobar");
  out.clear();
  ASSERT_TRUE(DecodeBase64("Zm8=\n\r\n  ", &out));  // whitespace after padding
  EXPECT_EQ(out, "fo");
  out.clear();
  ASSERT_TRUE(DecodeBase64("Zg=\n=", &out));  // whitespace inside the padding
  EXPECT_EQ(out, "f");
  out.clear();
  ASSERT_TRUE(DecodeBase64(" \n\t", &out));  // only whitespace: no bytes
  EXPECT_EQ(out, "");
}

TEST(Base64Test, RejectsCharactersOutsideTheAlphabet) {
  for (const char* text :
       {"Zm9v-mFy", "Zm9v_mFy", "Zm9v.mFy", "Zm9v:mFy", "Zm9\x80YmFy", "Zm9vYmF*"}) {
    std::string out;
    EXPECT_FALSE(DecodeBase64(text, &out)) << text;
  }
  std::string out;
  EXPECT_FALSE(DecodeBase64(std::string_view("Zm9v\0mFy", 8), &out));  // NUL byte
}

TEST(Base64Test, RejectsDanglingQuantum) {
  for (const char* text : {"Z", "Zm", "Zm9", "Zm9vY", "Zm9vYm", "Zm9vYmF", "Zm9vYmF\n"}) {
    std::string out;
    EXPECT_FALSE(DecodeBase64(text, &out)) << text;
  }
}

TEST(Base64Test, RejectsMisplacedPadding) {
  for (const char* text :
       {"=", "==", "====", "Z===", "Zg==Zm9v", "Zm8=Zm9v", "Zg==\nZg==", "Zm=9", "Zg=", "Zg==="}) {
    std::string out;
    EXPECT_FALSE(DecodeBase64(text, &out)) << text;
  }
}

// The strict form: decodes whatever the encoder writes, at every length and
// through both vector paths, into exactly Base64DecodeBound bytes.
TEST(Base64StrictTest, DecodesCanonicalText) {
  std::mt19937 rng(11);
  for (size_t length = 0; length < 300; ++length) {
    std::string bytes(length, '\0');
    for (char& c : bytes) c = static_cast<char>(rng());
    const std::string text = Encode(bytes);
    std::string dst(Base64DecodeBound(text.size()), '\0');
    const long n = DecodeBase64StrictInto(text, dst.data());
    ASSERT_EQ(n, static_cast<long>(length)) << length;
    EXPECT_EQ(dst.substr(0, length), bytes) << length;
  }
}

// What the lenient PEM decoder lets through, the strict one refuses: any
// whitespace, missing padding, and unused bits that are not zero (so that one
// byte string has one accepted text).
TEST(Base64StrictTest, RefusesEveryNonCanonicalForm) {
  for (const char* text :
       {"Zm9v\nYmFy", " Zm9v", "Zm9v ", "Zm8=\n", "Zg=\n=",   "Zm9vYmF\n", "Zg",
        "Zm8",        "Zm9vY", "Zh==",  "Zm9=",   "Zg==Zm9v", "Zm8=Zm9v",  "=",
        "====",       "Z===",  "Zm=9",  "Zg===",  "Zm9v!mFy", "Zm9v-mFy",  "Zm9v_mFy"}) {
    char dst[64];
    EXPECT_EQ(DecodeBase64StrictInto(text, dst), -1) << text;
  }
  char dst[64];
  EXPECT_EQ(DecodeBase64StrictInto(std::string_view("Zm9v\0mFy", 8), dst), -1);
  EXPECT_EQ(DecodeBase64StrictInto("", dst), 0);
  ASSERT_EQ(DecodeBase64StrictInto("Zm9vYmE=", dst), 5);
  EXPECT_EQ(std::string_view(dst, 5), "fooba");
}

// Every byte value at every position of a long run (both vector block sizes
// and the scalar tail): accepted exactly when it is in the alphabet.
TEST(Base64StrictTest, EveryByteAtEveryPosition) {
  static constexpr std::string_view kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::mt19937 rng(4);
  std::string bytes(75, '\0');
  for (char& c : bytes) c = static_cast<char>(rng());
  const std::string text = Encode(bytes);
  std::string dst(Base64DecodeBound(text.size()), '\0');
  for (size_t pos = 0; pos < text.size(); ++pos) {
    for (int b = 0; b < 256; ++b) {
      std::string bad = text;
      bad[pos] = static_cast<char>(b);
      const bool in_alphabet = kAlphabet.find(static_cast<char>(b)) != std::string_view::npos;
      EXPECT_EQ(DecodeBase64StrictInto(bad, dst.data()) >= 0, in_alphabet)
          << "byte " << b << " at " << pos;
    }
  }
}

}  // namespace
}  // namespace ctmr::x509
