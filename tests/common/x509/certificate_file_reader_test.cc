#include "common/x509/certificate_file_reader.h"

#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <future>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "common/x509/certificate_view.h"
#include "common/x509/openssl_certificate_parser.h"
#include "tests/support/certificate_expectations.h"
#include "tests/support/fifo_guard.h"

namespace ctmr::x509 {
namespace {

std::string ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// The DER of every CERTIFICATE block of a PEM text, read by OpenSSL.
std::vector<std::string> CertificatesOfPem(const std::string& pem) {
  std::vector<std::string> out;
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  char* type = nullptr;
  char* header = nullptr;
  unsigned char* data = nullptr;
  long len = 0;
  while (PEM_read_bio(bio, &type, &header, &data, &len) == 1) {
    if (std::string(type) == "CERTIFICATE") {
      out.emplace_back(reinterpret_cast<char*>(data), static_cast<size_t>(len));
    }
    OPENSSL_free(type);
    OPENSSL_free(header);
    OPENSSL_free(data);
  }
  BIO_free(bio);
  return out;
}

// Real certificates: every one in tests/data/certs/*.pem, or, while that
// folder is still empty, the Cloudflare chain of the shared test data.
std::vector<std::string> LoadRealCertificates() {
  std::vector<std::string> files;
  if (DIR* d = ::opendir("tests/data/certs")) {
    while (dirent* e = ::readdir(d)) {
      const std::string name = e->d_name;
      if (name.size() > 4 && name.substr(name.size() - 4) == ".pem") {
        files.push_back("tests/data/certs/" + name);
      }
    }
    ::closedir(d);
  }
  std::sort(files.begin(), files.end());
  if (files.empty()) files.push_back("/work/shared/testdata/certs/cloudflare.pem");
  std::vector<std::string> out;
  for (const std::string& file : files) {
    for (std::string& der : CertificatesOfPem(ReadWholeFile(file))) {
      if (std::find(out.begin(), out.end(), der) == out.end()) out.push_back(std::move(der));
    }
  }
  return out;
}

std::string Base64Lines(std::string_view der, const char* eol = "\n") {
  std::string encoded(4 * ((der.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(encoded.data()),
                                reinterpret_cast<const unsigned char*>(der.data()),
                                static_cast<int>(der.size()));
  encoded.resize(static_cast<size_t>(n));
  std::string out;
  for (size_t i = 0; i < encoded.size(); i += 64) out += encoded.substr(i, 64) + eol;
  return out;
}

std::string Pem(std::string_view der, std::string_view headers = "", const char* eol = "\n") {
  return "-----BEGIN CERTIFICATE-----" + std::string(eol) + std::string(headers) +
         Base64Lines(der, eol) + "-----END CERTIFICATE-----" + eol;
}

// What ct-fetch writes: the RFC 1421 headers of DESIGN.md §2.
std::string FetchedPem(std::string_view der, int i) {
  return Pem(der, "Log: https://ct.example.com/log" + std::to_string(i) +
                      "/\nRecorded-at: 2026-11-26T10:11:" + std::to_string(10 + i % 50) + "Z\n\n");
}

using Visitor = ::ctmr::testing::OpenSslVisitor;

class CertificateFileReaderTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    certs_ = new std::vector<std::string>(LoadRealCertificates());
    ASSERT_GE(certs_->size(), 3u);
    for (const std::string& der : *certs_) {
      CertificateView view;
      ASSERT_TRUE(ParseCertificateWithOpenSsl(der, &view).ok());
    }
  }
  static void TearDownTestSuite() {
    delete certs_;
    certs_ = nullptr;
  }

  void SetUp() override {
    char tmpl[] = "/tmp/certificate_file_reader_test.XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    if (DIR* d = ::opendir(dir_.c_str())) {
      while (dirent* e = ::readdir(d)) {
        const std::string name = e->d_name;
        if (name == "." || name == "..") continue;
        const std::string path = dir_ + "/" + name;
        if (::unlink(path.c_str()) != 0) ::rmdir(path.c_str());
      }
      ::closedir(d);
    }
    ::rmdir(dir_.c_str());
  }

  const std::string& cert(size_t i) const { return (*certs_)[i % certs_->size()]; }

  std::string Write(const std::string& name, std::string_view contents) {
    const std::string path = dir_ + "/" + name;
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(contents.data(), static_cast<std::streamsize>(contents.size()));
    EXPECT_TRUE(out.good());
    return path;
  }
  void Append(const std::string& path, std::string_view contents) {
    std::ofstream out(path, std::ios::binary | std::ios::app);
    out.write(contents.data(), static_cast<std::streamsize>(contents.size()));
    EXPECT_TRUE(out.good());
  }

  static std::vector<std::string>* certs_;
  std::string dir_;
  Visitor ignored_;
};

std::vector<std::string>* CertificateFileReaderTest::certs_ = nullptr;

TEST(CertificateFileNameTest, FormatOfFileName) {
  EXPECT_EQ(FormatOfFileName("Zm9vYmFy.pem"), CertificateFileFormat::kPem);
  EXPECT_EQ(FormatOfFileName("a.pem"), CertificateFileFormat::kPem);
  EXPECT_EQ(FormatOfFileName("batch-0001.cer"), CertificateFileFormat::kDer);
  EXPECT_EQ(FormatOfFileName("a.cer"), CertificateFileFormat::kDer);
  for (std::string_view skipped :
       {"oracle.out", "oracle.out.offsets", "oracle.out.tmp", "x.pem.tmp", "x.der", "x.crt",
        "x.txt", "pem", "cer", ".pem", ".cer", "", "xpem", "x.pem~"}) {
    EXPECT_EQ(FormatOfFileName(skipped), std::nullopt) << skipped;
  }
}

TEST(CertificateFileNameTest, IssuerIdOfFileName) {
  EXPECT_EQ(IssuerIdOfFileName("YLh1dUR9y6Kja30RrAn7JKnbQG_uEtLMkBgFF2Fuihg.pem"),
            "YLh1dUR9y6Kja30RrAn7JKnbQG_uEtLMkBgFF2Fuihg");
  EXPECT_EQ(IssuerIdOfFileName("issuer-1.cer"), "issuer-1");
  // Trees of other tools: the stem, whatever it is (only the extension goes).
  EXPECT_EQ(IssuerIdOfFileName("a.b.pem"), "a.b");
  EXPECT_EQ(IssuerIdOfFileName("noextension"), "noextension");
}

TEST_F(CertificateFileReaderTest, EmptyFile) {
  const std::string path = Write("empty.pem", "");
  Visitor visit;
  absl::StatusOr<FileReadResult> r =
      ReadCertificateFile(path, 0, CertificateFileFormat::kPem, std::ref(visit));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->blocks, 0u);
  EXPECT_EQ(r->malformed_blocks, 0u);
  EXPECT_EQ(r->end_offset, 0u);
  EXPECT_TRUE(visit.seen.empty());
}

TEST_F(CertificateFileReaderTest, PemWithHeadersGarbageOtherBlocksAndAHalfBlock) {
  const std::string garbage = "# written by hand\nnot pem at all\n";
  const std::string private_key = "-----BEGIN PRIVATE KEY-----\n" +
                                  Base64Lines("not really a key") + "-----END PRIVATE KEY-----\n";
  const std::string bad_base64 =
      "-----BEGIN CERTIFICATE-----\nMIIB!!notbase64\n-----END CERTIFICATE-----\n";
  const std::string not_a_cert = Pem("hello, world: base64 but not DER");
  const std::string mismatched =
      "-----BEGIN CERTIFICATE-----\n" + Base64Lines(cert(3)) + "-----END PRIVATE KEY-----\n";
  const std::string crlf = Pem(cert(2), "Log: https://crlf.example/\r\n\r\n", "\r\n");
  const std::string complete = garbage + FetchedPem(cert(0), 0) + private_key +
                               FetchedPem(cert(1), 1) + bad_base64 + "between blocks\n" +
                               not_a_cert + mismatched + crlf;
  const std::string half_block = FetchedPem(cert(4), 4);
  const size_t cut = half_block.size() / 2;
  const std::string path = Write("issuer.pem", complete + half_block.substr(0, cut));

  Visitor visit;
  absl::StatusOr<FileReadResult> r =
      ReadCertificateFile(path, 0, CertificateFileFormat::kPem, std::ref(visit));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->blocks, 7u);                   // 3 certificates + 4 that are not
  EXPECT_EQ(r->malformed_blocks, 4u);         // key, bad base64, not DER, mismatched END
  EXPECT_EQ(r->end_offset, complete.size());  // the half block's BEGIN line
  EXPECT_EQ(visit.seen, (std::vector<std::string>{cert(0), cert(1), cert(2)}));

  // ct-fetch finishes the block and appends another; the next read resumes.
  Append(path, half_block.substr(cut) + FetchedPem(cert(5), 5));
  Visitor next;
  r = ReadCertificateFile(path, r->end_offset, CertificateFileFormat::kPem, std::ref(next));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->blocks, 2u);
  EXPECT_EQ(r->malformed_blocks, 0u);
  EXPECT_EQ(r->end_offset, complete.size() + half_block.size() + FetchedPem(cert(5), 5).size());
  EXPECT_EQ(next.seen, (std::vector<std::string>{cert(4), cert(5)}));
}

TEST_F(CertificateFileReaderTest, VisitorRejectionCountsAsMalformed) {
  const std::string path = Write("x.pem", Pem(cert(0)) + Pem(cert(1)) + Pem(cert(2)));
  int calls = 0;
  absl::StatusOr<FileReadResult> r =
      ReadCertificateFile(path, 0, CertificateFileFormat::kPem, [&](std::string_view der) {
        EXPECT_EQ(der, cert(calls));
        return ++calls != 2;
      });
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(calls, 3);
  EXPECT_EQ(r->blocks, 3u);
  EXPECT_EQ(r->malformed_blocks, 1u);
}

TEST_F(CertificateFileReaderTest, TrailingTextAtTheEndOfTheFile) {
  const std::string blocks = Pem(cert(0));
  // Text that cannot start a block is done with...
  std::string path = Write("a.pem", blocks + "trailing words");
  absl::StatusOr<FileReadResult> r =
      ReadCertificateFile(path, 0, CertificateFileFormat::kPem, std::ref(ignored_));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->blocks, 1u);
  EXPECT_EQ(r->end_offset, blocks.size() + 14);
  // ...a BEGIN line still being written is not.
  path = Write("b.pem", blocks + "-----BEGIN CERT");
  r = ReadCertificateFile(path, 0, CertificateFileFormat::kPem, std::ref(ignored_));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->blocks, 1u);
  EXPECT_EQ(r->end_offset, blocks.size());
}

// Whatever byte ct-fetch had written when the map read the file, a second read
// from end_offset after the writer finished sees every certificate once.
TEST_F(CertificateFileReaderTest, ResumingAtEveryWriterPosition) {
  std::string contents;
  for (int i = 0; i < 3; ++i) contents += FetchedPem(cert(i), i);
  for (size_t split = 0; split <= contents.size(); split += 7) {
    SCOPED_TRACE(::testing::Message() << "split " << split);
    const std::string path = Write("resume.pem", contents.substr(0, split));
    Visitor visit;
    absl::StatusOr<FileReadResult> first =
        ReadCertificateFile(path, 0, CertificateFileFormat::kPem, std::ref(visit));
    ASSERT_TRUE(first.ok()) << first.status();
    ASSERT_LE(first->end_offset, split);
    Append(path, contents.substr(split));
    absl::StatusOr<FileReadResult> second =
        ReadCertificateFile(path, first->end_offset, CertificateFileFormat::kPem, std::ref(visit));
    ASSERT_TRUE(second.ok()) << second.status();
    EXPECT_EQ(second->end_offset, contents.size());
    EXPECT_EQ(first->blocks + second->blocks, 3u);
    EXPECT_EQ(first->malformed_blocks + second->malformed_blocks, 0u);
    EXPECT_EQ(visit.seen, (std::vector<std::string>{cert(0), cert(1), cert(2)}));
  }
}

TEST_F(CertificateFileReaderTest, OffsetInTheMiddleAndAtTheEnd) {
  const std::string first = FetchedPem(cert(0), 0);
  const std::string contents = first + FetchedPem(cert(1), 1);
  const std::string path = Write("x.pem", contents);
  Visitor visit;
  absl::StatusOr<FileReadResult> r =
      ReadCertificateFile(path, first.size(), CertificateFileFormat::kPem, std::ref(visit));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->blocks, 1u);
  EXPECT_EQ(visit.seen, std::vector<std::string>{cert(1)});
  EXPECT_EQ(r->end_offset, contents.size());

  r = ReadCertificateFile(path, contents.size(), CertificateFileFormat::kPem, std::ref(visit));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->blocks, 0u);
  EXPECT_EQ(r->end_offset, contents.size());
}

// A file larger than one read chunk: blocks that straddle a chunk boundary are
// read whole, once.
TEST_F(CertificateFileReaderTest, FileLargerThanOneChunk) {
  std::string contents;
  size_t count = 0;
  while (contents.size() < kReadChunkBytes + kReadChunkBytes / 4) {
    contents +=
        count % 3 == 0 ? FetchedPem(cert(count), static_cast<int>(count)) : Pem(cert(count));
    ++count;
  }
  const std::string tail = Pem(cert(count));
  const std::string path = Write("big.pem", contents + tail.substr(0, tail.size() - 40));
  size_t visits = 0;
  absl::StatusOr<FileReadResult> r =
      ReadCertificateFile(path, 0, CertificateFileFormat::kPem, [&](std::string_view der) {
        EXPECT_EQ(der, cert(visits)) << visits;
        ++visits;
        return true;
      });
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->blocks, count);
  EXPECT_EQ(r->malformed_blocks, 0u);
  EXPECT_EQ(visits, count);
  EXPECT_EQ(r->end_offset, contents.size());
}

TEST_F(CertificateFileReaderTest, DerBackToBackWithAHalfWrittenTail) {
  const std::string complete = cert(0) + cert(1) + cert(2);
  const std::string half = cert(3).substr(0, cert(3).size() / 2);
  const std::string path = Write("batch.cer", complete + half);
  Visitor visit;
  absl::StatusOr<FileReadResult> r =
      ReadCertificateFile(path, 0, CertificateFileFormat::kDer, std::ref(visit));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->blocks, 3u);
  EXPECT_EQ(r->malformed_blocks, 0u);
  EXPECT_EQ(r->end_offset, complete.size());
  EXPECT_EQ(visit.seen, (std::vector<std::string>{cert(0), cert(1), cert(2)}));

  Append(path, cert(3).substr(half.size()) + cert(4));
  Visitor next;
  r = ReadCertificateFile(path, r->end_offset, CertificateFileFormat::kDer, std::ref(next));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->blocks, 2u);
  EXPECT_EQ(r->malformed_blocks, 0u);
  EXPECT_EQ(r->end_offset, complete.size() + cert(3).size() + cert(4).size());
  EXPECT_EQ(next.seen, (std::vector<std::string>{cert(3), cert(4)}));
}

TEST_F(CertificateFileReaderTest, DerGarbageIsOneMalformedBlock) {
  // A PEM file named .cer: nothing can be resynchronized, the rest is skipped.
  const std::string contents = cert(0) + Pem(cert(1)) + Pem(cert(2));
  const std::string path = Write("wrong.cer", contents);
  Visitor visit;
  absl::StatusOr<FileReadResult> r =
      ReadCertificateFile(path, 0, CertificateFileFormat::kDer, std::ref(visit));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->blocks, 2u);
  EXPECT_EQ(r->malformed_blocks, 1u);
  EXPECT_EQ(r->end_offset, contents.size());
  EXPECT_EQ(visit.seen, std::vector<std::string>{cert(0)});
}

TEST_F(CertificateFileReaderTest, DerGarbageLargerThanOneChunkIsStillOneBlock) {
  std::string contents = "-----BEGIN CERTIFICATE-----\n";
  while (contents.size() < kReadChunkBytes + 1000) contents += Pem(cert(contents.size()));
  const std::string path = Write("wrong.cer", contents);
  size_t visits = 0;
  absl::StatusOr<FileReadResult> r =
      ReadCertificateFile(path, 0, CertificateFileFormat::kDer, [&](std::string_view) {
        ++visits;
        return false;
      });
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->blocks, 1u);
  EXPECT_EQ(r->malformed_blocks, 1u);
  EXPECT_EQ(visits, 0u);
  EXPECT_EQ(r->end_offset, contents.size());
}

// Runs `read` on another thread and fails the whole binary if it hangs.
absl::StatusOr<FileReadResult> WithDeadline(std::function<absl::StatusOr<FileReadResult>()> read) {
  auto future = std::async(std::launch::async, std::move(read));
  if (future.wait_for(std::chrono::seconds(120)) != std::future_status::ready) {
    std::fprintf(stderr, "ReadCertificateFile did not return within 120 s\n");
    std::_Exit(1);
  }
  return future.get();
}

// A hostile END line that never ends, longer than one read chunk: the reader
// must not wait for it forever (nor buffer the whole file).
TEST_F(CertificateFileReaderTest, EndlessEndLineLargerThanOneChunkTerminates) {
  const std::string first = Pem(cert(0));
  std::string contents =
      first + "-----BEGIN CERTIFICATE-----\n" + Base64Lines(cert(1)) + "-----END CERTIFICATE";
  contents.resize(kReadChunkBytes + kReadChunkBytes / 2, 'E');
  const std::string path = Write("endless.pem", contents);
  size_t visits = 0;
  absl::StatusOr<FileReadResult> r = WithDeadline([&] {
    return ReadCertificateFile(path, 0, CertificateFileFormat::kPem, [&](std::string_view) {
      ++visits;
      return true;
    });
  });
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(visits, 1u);
  EXPECT_EQ(r->blocks, 2u);
  EXPECT_EQ(r->malformed_blocks, 1u);
  EXPECT_GT(r->end_offset, first.size());
  EXPECT_LE(r->end_offset, contents.size());
}

TEST_F(CertificateFileReaderTest, DanglingSymlinkIsAnError) {
  const std::string path = dir_ + "/dangling.pem";
  ASSERT_EQ(::symlink((dir_ + "/nowhere.pem").c_str(), path.c_str()), 0);
  absl::StatusOr<FileReadResult> r =
      ReadCertificateFile(path, 0, CertificateFileFormat::kPem, std::ref(ignored_));
  EXPECT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find(path), std::string::npos) << r.status();
}

TEST_F(CertificateFileReaderTest, MissingFileIsAnError) {
  const std::string path = dir_ + "/missing.cer";
  absl::StatusOr<FileReadResult> r =
      ReadCertificateFile(path, 0, CertificateFileFormat::kDer, std::ref(ignored_));
  EXPECT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find(path), std::string::npos) << r.status();
}

TEST_F(CertificateFileReaderTest, DirectoryNamedPemIsAnError) {
  const std::string path = dir_ + "/x.pem";
  ASSERT_EQ(::mkdir(path.c_str(), 0755), 0);
  absl::StatusOr<FileReadResult> r =
      ReadCertificateFile(path, 0, CertificateFileFormat::kPem, std::ref(ignored_));
  EXPECT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find(path), std::string::npos) << r.status();
}

// Opening a FIFO for reading waits for a writer: the reader must refuse it
// without waiting, whoever put it there.
TEST_F(CertificateFileReaderTest, FifoIsRefusedWithoutWaitingForAWriter) {
  const std::string path = dir_ + "/evil.pem";
  ASSERT_EQ(::mkfifo(path.c_str(), 0644), 0);
  absl::Status status;
  EXPECT_TRUE(ctmr::testing::FinishesWithoutAWriter(path, [&] {
    status = ReadCertificateFile(path, 0, CertificateFileFormat::kPem, std::ref(ignored_)).status();
  }));
  EXPECT_FALSE(status.ok());
  EXPECT_NE(status.message().find("not a regular file"), std::string::npos) << status;
}

TEST_F(CertificateFileReaderTest, OffsetPastTheEndIsAnError) {
  const std::string contents = Pem(cert(0));
  const std::string path = Write("shrunk.pem", contents);
  int calls = 0;
  absl::StatusOr<FileReadResult> r = ReadCertificateFile(
      path, contents.size() + 1, CertificateFileFormat::kPem, [&](std::string_view) {
        ++calls;
        return true;
      });
  EXPECT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find(path), std::string::npos) << r.status();
  EXPECT_EQ(calls, 0);
}

TEST_F(CertificateFileReaderTest, SymlinkToARegularFileIsRead) {
  const std::string target = Write("target.pem", Pem(cert(0)) + Pem(cert(1)));
  const std::string link = dir_ + "/link.pem";
  ASSERT_EQ(::symlink(target.c_str(), link.c_str()), 0);
  Visitor visit;
  absl::StatusOr<FileReadResult> r =
      ReadCertificateFile(link, 0, CertificateFileFormat::kPem, std::ref(visit));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->blocks, 2u);
  EXPECT_EQ(visit.seen.size(), 2u);
}

}  // namespace
}  // namespace ctmr::x509
