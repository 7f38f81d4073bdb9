#include "common/x509/pem_writer.h"

#include <openssl/evp.h>

#include <algorithm>

#include "common/base/civil_date.h"

namespace ctmr::x509 {
namespace {

void AppendDigits(std::string* out, int64_t value, int width) {
  char digits[24];
  for (int i = width - 1; i >= 0; --i) {
    digits[i] = static_cast<char>('0' + value % 10);
    value /= 10;
  }
  out->append(digits, static_cast<size_t>(width));
}

// Parses exactly `width` decimal digits.
bool ParseDigits(std::string_view text, size_t at, size_t width, int64_t* value) {
  if (text.size() < at + width) return false;
  *value = 0;
  for (size_t i = at; i < at + width; ++i) {
    if (text[i] < '0' || text[i] > '9') return false;
    *value = *value * 10 + (text[i] - '0');
  }
  return true;
}

constexpr std::string_view kBegin = "-----BEGIN CERTIFICATE-----\n";
constexpr std::string_view kEnd = "-----END CERTIFICATE-----\n";
constexpr std::string_view kLogHeader = "Log: ";
constexpr std::string_view kRecordedAtHeader = "Recorded-at: ";

}  // namespace

void AppendUtcDate(int64_t unix_seconds, std::string* out) {
  int64_t days = unix_seconds >= 0 ? unix_seconds / 86400 : (unix_seconds - 86399) / 86400;
  // Howard Hinnant's civil_from_days, here rather than base::FormatDate so
  // that ct-fetch's hot path does not allocate.
  days += 719468;
  const int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const int64_t doe = days - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  const int64_t d = doy - (153 * mp + 2) / 5 + 1;
  const int64_t m = mp < 10 ? mp + 3 : mp - 9;
  const int64_t y = yoe + era * 400 + (m <= 2);
  if (y < 0 || y > 9999) {
    out->append(base::FormatDate(base::DayOfUnixSeconds(unix_seconds)));
    return;
  }
  AppendDigits(out, y, 4);
  out->push_back('-');
  AppendDigits(out, m, 2);
  out->push_back('-');
  AppendDigits(out, d, 2);
}

void AppendRfc3339Millis(uint64_t unix_millis, std::string* out) {
  const int64_t seconds = static_cast<int64_t>(unix_millis / 1000);
  AppendUtcDate(seconds, out);
  const int64_t in_day = seconds % 86400;
  out->push_back('T');
  AppendDigits(out, in_day / 3600, 2);
  out->push_back(':');
  AppendDigits(out, in_day / 60 % 60, 2);
  out->push_back(':');
  AppendDigits(out, in_day % 60, 2);
  out->push_back('.');
  AppendDigits(out, static_cast<int64_t>(unix_millis % 1000), 3);
  out->push_back('Z');
}

std::string FormatRfc3339Millis(uint64_t unix_millis) {
  std::string out;
  AppendRfc3339Millis(unix_millis, &out);
  return out;
}

std::optional<uint64_t> ParseRfc3339Millis(std::string_view text) {
  // "YYYY-MM-DDTHH:MM:SS" then an optional fraction, then "Z".
  if (text.size() < 20 || text[10] != 'T' || text[13] != ':' || text[16] != ':') {
    return std::nullopt;
  }
  const std::optional<int32_t> day = base::ParseDate(text.substr(0, 10));
  int64_t h = 0, m = 0, s = 0;
  if (!day || *day < 0 || !ParseDigits(text, 11, 2, &h) || !ParseDigits(text, 14, 2, &m) ||
      !ParseDigits(text, 17, 2, &s) || h > 23 || m > 59 || s > 59) {
    return std::nullopt;
  }
  size_t at = 19;
  int64_t millis = 0;
  if (text[at] == '.') {
    ++at;
    const size_t digits_start = at;
    while (at < text.size() && text[at] >= '0' && text[at] <= '9') {
      if (at - digits_start < 3) millis = millis * 10 + (text[at] - '0');
      ++at;
    }
    if (at == digits_start) return std::nullopt;
    for (size_t n = at - digits_start; n < 3; ++n) millis *= 10;
  }
  if (at + 1 != text.size() || text[at] != 'Z') return std::nullopt;
  return static_cast<uint64_t>(((*day * int64_t{86400}) + h * 3600 + m * 60 + s) * 1000 + millis);
}

void FormatPemBlockInto(std::string_view log_url, uint64_t timestamp_millis, std::string_view der,
                        std::string* out) {
  out->clear();
  out->append(kBegin);
  if (!log_url.empty()) {
    out->append(kLogHeader);
    out->append(log_url);
    out->push_back('\n');
  }
  if (timestamp_millis != 0) {
    out->append(kRecordedAtHeader);
    AppendRfc3339Millis(timestamp_millis, out);
    out->push_back('\n');
  }
  if (!log_url.empty() || timestamp_millis != 0) out->push_back('\n');
  // 48 bytes make one 64-character line.
  const size_t lines = (der.size() + 47) / 48;
  const size_t at = out->size();
  out->resize(at + lines * 65 + kEnd.size());
  char* p = out->data() + at;
  for (size_t i = 0; i < der.size(); i += 48) {
    const size_t n = std::min<size_t>(48, der.size() - i);
    const int written = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(p),
                                        reinterpret_cast<const unsigned char*>(der.data() + i),
                                        static_cast<int>(n));
    p += written;
    *p++ = '\n';
  }
  std::copy(kEnd.begin(), kEnd.end(), p);
  p += kEnd.size();
  out->resize(static_cast<size_t>(p - out->data()));
}

std::string FormatPemBlock(std::string_view log_url, uint64_t timestamp_millis,
                           std::string_view der) {
  std::string out;
  FormatPemBlockInto(log_url, timestamp_millis, der, &out);
  return out;
}

PemHeaders ParsePemHeaders(std::string_view headers) {
  PemHeaders parsed;
  while (!headers.empty()) {
    const size_t eol = headers.find('\n');
    std::string_view line = headers.substr(0, eol);
    headers.remove_prefix(eol == std::string_view::npos ? headers.size() : eol + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.substr(0, kLogHeader.size()) == kLogHeader) {
      parsed.log_url = line.substr(kLogHeader.size());
    } else if (line.substr(0, kRecordedAtHeader.size()) == kRecordedAtHeader) {
      parsed.recorded_at_ms = ParseRfc3339Millis(line.substr(kRecordedAtHeader.size())).value_or(0);
    }
  }
  return parsed;
}

}  // namespace ctmr::x509
