#include "fetcher/entry_writer.h"

#include <string_view>
#include <utility>

#include "common/x509/der_certificate_parser.h"
#include "common/x509/openssl_certificate_parser.h"
#include "common/x509/pem_writer.h"

namespace ctmr::fetch {

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
  x509::AppendUtcDate(view_.not_after, &date);
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
  x509::FormatPemBlockInto(std::string_view(log_url.data(), log_url.size()), timestamp_millis,
                           der_view, &block_);
  absl::Status s = files_->Append(date, file_name_, block_);
  if (!s.ok()) return s;
  ++stats_.written;
  return true;
}

absl::Status EntryWriter::Commit() { return files_->Sync(&epoch_); }

absl::Status EntryWriter::SaveIssuer(absl::string_view issuer_id, absl::string_view der) {
  // Issuers carry no headers.
  x509::FormatPemBlockInto("", 0, std::string_view(der.data(), der.size()), &block_);
  return files_->SaveIssuer(issuer_id, block_);
}

}  // namespace ctmr::fetch
