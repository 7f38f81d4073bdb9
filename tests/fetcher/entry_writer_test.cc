// fetcher/entry_writer: PEM blocks (common/x509/pem_writer.h) that the map's
// reader parses back, one folder per notAfter date, expired certificates skipped.
#include "fetcher/entry_writer.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/base/civil_date.h"
#include "common/base/file_util.h"
#include "common/x509/certificate_file_reader.h"
#include "common/x509/certificate_view.h"
#include "common/x509/der_certificate_parser.h"
#include "common/x509/pem_scanner.h"
#include "common/x509/pem_writer.h"
#include "tests/support/test_support.h"

namespace ctmr::fetch {
namespace {

std::string Issuer() {
  const char* src = std::getenv("CT_SOURCE_DIR");
  return base::ReadFileToString(std::string(src ? src : ".") +
                                "/tests/data/certs/navigli2025h2-issuer-54588456f084df53.der")
      .value_or("");
}

// The PEM format (--format pem): every CT copy as a block.
DataFilesOptions Pem() {
  DataFilesOptions options;
  options.format = StorageFormat::kPem;
  return options;
}

int64_t NotAfter(const std::string& der) {
  x509::CertificateView view;
  EXPECT_TRUE(x509::ParseCertificateDer(der, &view).ok());
  return view.not_after;
}

TEST(EntryWriterTest, WritesByNotAfterAndReadsBack) {
  ctmr::testing::TempDir root;
  const std::string der = Issuer();
  ASSERT_FALSE(der.empty());
  const int64_t not_after = NotAfter(der);
  EntryWriter writer(root.path(), /*include_expired=*/false, not_after - 86400, Pem());
  for (int i = 0; i < 3; ++i) {
    absl::StatusOr<bool> written = writer.Append("https://log.example/", 1000 * i, der, "ISSUER");
    ASSERT_TRUE(written.ok()) << written.status();
    EXPECT_TRUE(*written);
  }
  ASSERT_TRUE(writer.Commit().ok());
  EXPECT_EQ(writer.stats().written, 3u);

  const std::string path = absl::StrCat(
      root.path(), "/", base::FormatDate(base::DayOfUnixSeconds(not_after)), "/ISSUER.pem");
  std::vector<std::string> read;
  auto visit = [&](std::string_view block) {
    read.emplace_back(block);
    return true;
  };
  absl::StatusOr<x509::FileReadResult> r =
      x509::ReadCertificateFile(path, 0, x509::CertificateFileFormat::kPem, std::ref(visit));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->blocks, 3u);
  EXPECT_EQ(r->malformed_blocks, 0u);
  ASSERT_EQ(read.size(), 3u);
  EXPECT_EQ(read[0], der);

  // Appends, never truncates.
  EntryWriter again(root.path(), false, not_after - 86400, Pem());
  ASSERT_TRUE(again.Append("u", 0, der, "ISSUER").ok());
  ASSERT_TRUE(again.Commit().ok());
  read.clear();
  r = x509::ReadCertificateFile(path, 0, x509::CertificateFileFormat::kPem, std::ref(visit));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(read.size(), 4u);
}

TEST(EntryWriterTest, CutsATornLastBlockBeforeAppending) {
  ctmr::testing::TempDir root;
  const std::string der = Issuer();
  const int64_t not_after = NotAfter(der);
  const std::string dir =
      absl::StrCat(root.path(), "/", base::FormatDate(base::DayOfUnixSeconds(not_after)));
  const std::string path = dir + "/ISSUER.pem";
  const std::string block = x509::FormatPemBlock("u", 0, der);
  std::filesystem::create_directories(dir);
  // Two complete blocks and the first half of a third: a kill -9 mid-write.
  for (const std::string& contents : {absl::StrCat(block, block, block.substr(0, block.size() / 2)),
                                      block.substr(0, block.size() / 3)}) {
    ctmr::testing::WriteFile(path, contents);
    const size_t complete = contents.size() / block.size();
    EntryWriter writer(root.path(), /*include_expired=*/true, 0, Pem());
    ASSERT_TRUE(writer.Append("u", 0, der, "ISSUER").ok());
    ASSERT_TRUE(writer.Commit().ok());
    EXPECT_EQ(ctmr::testing::ReadFile(path).size(), (complete + 1) * block.size());
    absl::StatusOr<x509::FileReadResult> r = x509::ReadCertificateFile(
        path, 0, x509::CertificateFileFormat::kPem, [](std::string_view) { return true; });
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->blocks, complete + 1);
    EXPECT_EQ(r->malformed_blocks, 0u);
  }
}

// ct-fetch's cut and the map's offset follow one rule (CompletePemPrefix):
// whatever the tail of a file, a map that read it before ct-fetch restarted
// continues from its offset and sees exactly the blocks appended since.
TEST(EntryWriterTest, CutsOnlyWhatTheMapHasNotRead) {
  ctmr::testing::TempDir root;
  const std::string der = Issuer();
  const int64_t not_after = NotAfter(der);
  const std::string dir =
      absl::StrCat(root.path(), "/", base::FormatDate(base::DayOfUnixSeconds(not_after)));
  const std::string path = dir + "/ISSUER.pem";
  const std::string block = x509::FormatPemBlock("https://log.example/", 0, der);
  const std::string added = x509::FormatPemBlock("u", 0, der);
  std::string crlf;
  for (char c : block + block) {
    if (c == '\n') crlf += '\r';
    crlf += c;
  }
  std::filesystem::create_directories(dir);
  const std::vector<std::string> tails = {
      absl::StrCat(block, block.substr(0, block.size() - 1)),  // END line without its '\n'
      absl::StrCat(block, block.substr(0, block.size() - 2)),
      absl::StrCat(block, block.substr(0, block.size() / 2)),
      absl::StrCat(block, "trailing words\n"),
      absl::StrCat(block, "-----BEG"),
      crlf,
      "no block at all\n",
  };
  for (const std::string& contents : tails) {
    SCOPED_TRACE(contents.substr(contents.size() - std::min<size_t>(contents.size(), 40)));
    ctmr::testing::WriteFile(path, contents);
    auto count = [](std::string_view) { return true; };
    absl::StatusOr<x509::FileReadResult> mapped =
        x509::ReadCertificateFile(path, 0, x509::CertificateFileFormat::kPem, count);
    ASSERT_TRUE(mapped.ok()) << mapped.status();

    EntryWriter writer(root.path(), /*include_expired=*/true, 0, Pem());
    ASSERT_TRUE(writer.Append("u", 0, der, "ISSUER").ok());
    ASSERT_TRUE(writer.Commit().ok());
    const std::string now = ctmr::testing::ReadFile(path);
    EXPECT_EQ(now.size(), x509::CompletePemPrefix(contents) + added.size());
    ASSERT_LE(mapped->end_offset, now.size());
    EXPECT_EQ(now.substr(0, mapped->end_offset), contents.substr(0, mapped->end_offset));
    absl::StatusOr<x509::FileReadResult> rest = x509::ReadCertificateFile(
        path, mapped->end_offset, x509::CertificateFileFormat::kPem, count);
    ASSERT_TRUE(rest.ok()) << rest.status();
    EXPECT_EQ(rest->blocks - rest->malformed_blocks, 1u);
    EXPECT_EQ(rest->end_offset, now.size());
  }
}

TEST(EntryWriterTest, RefusesToAppendToAFifo) {
  ctmr::testing::TempDir root;
  const std::string der = Issuer();
  const int64_t not_after = NotAfter(der);
  const std::string dir =
      absl::StrCat(root.path(), "/", base::FormatDate(base::DayOfUnixSeconds(not_after)));
  std::filesystem::create_directories(dir);
  ASSERT_EQ(::mkfifo((dir + "/ISSUER.pem").c_str(), 0644), 0);
  EntryWriter writer(root.path(), /*include_expired=*/true, 0, Pem());
  absl::StatusOr<bool> written = writer.Append("u", 0, der, "ISSUER");
  ASSERT_FALSE(written.ok());
  EXPECT_NE(written.status().message().find("not a regular file"), std::string::npos)
      << written.status();
}

// The compact format: one record per serial, duplicates counted.
TEST(EntryWriterTest, CompactStoresACertificateOnce) {
  ctmr::testing::TempDir root;
  const std::string der = Issuer();
  const int64_t not_after = NotAfter(der);
  EntryWriter writer(root.path(), /*include_expired=*/true, 0);
  for (int i = 0; i < 3; ++i) {
    absl::StatusOr<bool> written = writer.Append("https://log.example/", 1000 * i, der, "ISSUER");
    ASSERT_TRUE(written.ok()) << written.status();
    EXPECT_EQ(*written, i == 0);
  }
  ASSERT_TRUE(writer.Commit().ok());
  EXPECT_EQ(writer.stats().written, 1u);
  EXPECT_EQ(writer.stats().duplicates, 2u);
  const std::string path = absl::StrCat(
      root.path(), "/", base::FormatDate(base::DayOfUnixSeconds(not_after)), "/ISSUER.ctseg");
  std::vector<std::string> ders;
  absl::StatusOr<x509::FileReadResult> r = x509::ReadCertificateFile(
      path, 0, x509::CertificateFileFormat::kSegment, [&](std::string_view d) {
        ders.emplace_back(d);
        return true;
      });
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(ders, std::vector<std::string>{der});
}

TEST(EntryWriterTest, CompactRefusesToAppendToAFifo) {
  ctmr::testing::TempDir root;
  const std::string der = Issuer();
  const std::string dir =
      absl::StrCat(root.path(), "/", base::FormatDate(base::DayOfUnixSeconds(NotAfter(der))));
  std::filesystem::create_directories(dir);
  ASSERT_EQ(::mkfifo((dir + "/ISSUER.ctseg").c_str(), 0644), 0);
  EntryWriter writer(root.path(), /*include_expired=*/true, 0);
  absl::StatusOr<bool> written = writer.Append("u", 0, der, "ISSUER");
  ASSERT_FALSE(written.ok());
  EXPECT_NE(written.status().message().find("not a regular file"), std::string::npos)
      << written.status();
}

TEST(EntryWriterTest, SkipsExpiredUnlessIncluded) {
  ctmr::testing::TempDir root;
  const std::string der = Issuer();
  const int64_t not_after = NotAfter(der);
  EntryWriter writer(root.path(), /*include_expired=*/false, not_after + 1);
  absl::StatusOr<bool> written = writer.Append("u", 0, der, "ISSUER");
  ASSERT_TRUE(written.ok());
  EXPECT_FALSE(*written);
  EXPECT_EQ(writer.stats().expired, 1u);
  ASSERT_TRUE(writer.Commit().ok());
  EXPECT_TRUE(ctmr::testing::ListDir(root.path()).empty());

  EntryWriter all(root.path(), /*include_expired=*/true, not_after + 1);
  written = all.Append("u", 0, der, "ISSUER");
  ASSERT_TRUE(written.ok());
  EXPECT_TRUE(*written);
  ASSERT_TRUE(all.Commit().ok());
  EXPECT_EQ(ctmr::testing::ListDir(root.path()).size(), 1u);
}

TEST(EntryWriterTest, SkipsWhatIsNotACertificate) {
  ctmr::testing::TempDir root;
  EntryWriter writer(root.path(), true, 0);
  absl::StatusOr<bool> written = writer.Append("u", 0, "not DER", "ISSUER");
  ASSERT_TRUE(written.ok());
  EXPECT_FALSE(*written);
  EXPECT_EQ(writer.stats().unparseable, 1u);
}

TEST(EntryWriterTest, SavesIssuerOnce) {
  ctmr::testing::TempDir root;
  EntryWriter writer(root.path(), true, 0);
  ASSERT_TRUE(writer.SaveIssuer("ID", Issuer()).ok());
  ASSERT_TRUE(writer.SaveIssuer("ID", Issuer()).ok());
  const std::string pem = base::ReadFileToString(root.path() + "/issuers/ID.pem").value_or("");
  EXPECT_EQ(pem.rfind("-----BEGIN CERTIFICATE-----\nMII", 0), 0u) << pem.substr(0, 80);
}

}  // namespace
}  // namespace ctmr::fetch
