#include "fetcher/entry_writer.h"

#include <openssl/evp.h>

#include <algorithm>
#include <string_view>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/base/civil_date.h"
#include "common/x509/der_certificate_parser.h"
#include "common/x509/openssl_certificate_parser.h"

namespace ctmr::fetch {
namespace {

void AppendDigits(std::string* out, int64_t value, int width) {
  char digits[24];
  for (int i = width - 1; i >= 0; --i) {
    digits[i] = static_cast<char>('0' + value % 10);
    value /= 10;
  }
  out->append(digits, static_cast<size_t>(width));
}

// "2025-07-01" and "2025-07-01T12:34:56.789Z" without a heap allocation.
void AppendDate(std::string* out, int64_t unix_seconds) {
  int64_t days = unix_seconds >= 0 ? unix_seconds / 86400 : (unix_seconds - 86399) / 86400;
  // Howard Hinnant's civil_from_days.
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

void AppendRfc3339Millis(std::string* out, uint64_t unix_millis) {
  const int64_t seconds = static_cast<int64_t>(unix_millis / 1000);
  AppendDate(out, seconds);
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

constexpr absl::string_view kBegin = "-----BEGIN CERTIFICATE-----\n";
constexpr absl::string_view kEnd = "-----END CERTIFICATE-----\n";

}  // namespace

std::string FormatRfc3339Millis(uint64_t unix_millis) {
  std::string out;
  AppendRfc3339Millis(&out, unix_millis);
  return out;
}

void FormatPemBlockInto(absl::string_view log_url, uint64_t timestamp_millis, absl::string_view der,
                        std::string* out) {
  out->clear();
  out->append(kBegin.data(), kBegin.size());
  if (!log_url.empty()) {
    out->append("Log: ");
    out->append(log_url.data(), log_url.size());
    out->append("\nRecorded-at: ");
    AppendRfc3339Millis(out, timestamp_millis);
    out->append("\n\n");
  }
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

std::string FormatPemBlock(absl::string_view log_url, uint64_t timestamp_millis,
                           absl::string_view der) {
  std::string out;
  FormatPemBlockInto(log_url, timestamp_millis, der, &out);
  return out;
}

EntryWriter::EntryWriter(DataFiles* files, bool include_expired, int64_t now_unix_seconds)
    : files_(files),
      include_expired_(include_expired),
      now_(now_unix_seconds),
      epoch_(files->epoch()) {}

EntryWriter::EntryWriter(std::string data_dir, bool include_expired, int64_t now_unix_seconds,
                         DataFilesOptions options)
    : owned_files_(std::make_unique<DataFiles>(std::move(data_dir), options)),
      files_(owned_files_.get()),
      include_expired_(include_expired),
      now_(now_unix_seconds),
      epoch_(files_->epoch()) {}

absl::StatusOr<bool> EntryWriter::Append(absl::string_view log_url, uint64_t timestamp_millis,
                                         absl::string_view der, absl::string_view issuer_id) {
  const std::string_view der_view(der.data(), der.size());
  if (!x509::ParseCertificateDer(der_view, &view_).ok() &&
      !x509::ParseCertificateWithOpenSsl(der_view, &view_).ok()) {
    ++stats_.unparseable;
    return false;
  }
  if (!include_expired_ && view_.not_after < now_) {
    ++stats_.expired;
    return false;
  }
  std::string date;  // "YYYY-MM-DD" fits the small-string buffer: no allocation
  AppendDate(&date, view_.not_after);
  if (files_->format() == StorageFormat::kCompact) {
    if (der.size() > segment::kMaxCertificateBytes) {
      ++stats_.unparseable;  // over the bound every reader keeps
      return false;
    }
    absl::StatusOr<bool> stored =
        files_->AppendCertificate(date, issuer_id, log_url, timestamp_millis, der,
                                  absl::string_view(view_.serial.data(), view_.serial.size()));
    if (!stored.ok()) return stored.status();
    if (!*stored) {
      ++stats_.duplicates;
      return false;
    }
    ++stats_.written;
    return true;
  }
  file_name_.assign(issuer_id.data(), issuer_id.size());
  file_name_.append(".pem");
  FormatPemBlockInto(log_url, timestamp_millis, der, &block_);
  absl::Status s = files_->Append(date, file_name_, block_);
  if (!s.ok()) return s;
  ++stats_.written;
  return true;
}

absl::Status EntryWriter::Commit() { return files_->Sync(&epoch_); }

absl::Status EntryWriter::SaveIssuer(absl::string_view issuer_id, absl::string_view der) {
  // Issuers carry no headers.
  FormatPemBlockInto("", 0, der, &block_);
  return files_->SaveIssuer(issuer_id, block_);
}

}  // namespace ctmr::fetch
