// ct-fetch at scale: the 100,981-entry generated log (tests/fetch_log_server/
// make_big_log.sh) served by the test log server with faults sprinkled through
// the run (--fault-rate with a seed). Every entry must land exactly once, and
// `ct-worker map` + `ct-coordinator reduce` of what ct-fetch wrote must give
// ct-gen's known answers for the corpus the log was made from. A tampered leaf
// and a bad signature on the same log are refused.
#include <gtest/gtest.h>

#include <algorithm>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/x509/certificate_view.h"
#include "common/x509/der_certificate_parser.h"
#include "common/x509/openssl_certificate_parser.h"
#include "common/x509/openssl_precert_tbs.h"
#include "common/x509/precert_tbs.h"
#include "fetcher/verify/entry_batch.h"
#include "fetcher/verify/log_entry.h"
#include "tests/fetcher/fetch_scale_harness.h"
#include "tests/support/test_support.h"

namespace ctmr::testing {
namespace {

// A run of the whole log takes about a minute of ct-fetch CPU time today; this
// only stops a hung run.
constexpr double kRunDeadlineSeconds = 300;

// Server flags that make each request fail with probability `rate`, the
// failure drawn among `kinds` (the server's --fail-* flags).
std::vector<std::string> FaultFlags(const std::vector<std::string>& kinds, double rate, int seed) {
  std::vector<std::string> flags = {"--fault-rate", std::to_string(rate), "--seed",
                                    std::to_string(seed)};
  for (const std::string& k : kinds) flags.insert(flags.end(), {k, "1"});
  return flags;
}

std::vector<std::string> TransportFaults() {
  return {"--fail-429", "--fail-500", "--drop-connections", "--truncate-body"};
}

std::string Tail(const std::string& text) {
  return text.size() > 4000 ? text.substr(text.size() - 4000) : text;
}

class FetchScaleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    log_ = BigLog(tmp_.path());
    manifest_ = ReadManifest(log_.log_dir);
    ASSERT_GE(manifest_.size(), 100000u);
    key_ = MakeKeyPair(tmp_.path(), "log-key");
  }

  ChildRun Fetch(Api api, const LogServer& server, const std::string& root,
                 const std::string& key_base64) {
    ChildRun run = RunBounded(FetchArgv(api, server.url(), root, key_base64), kRunDeadlineSeconds);
    EXPECT_FALSE(run.timed_out) << run.output;
    return run;
  }

  // ROOT holds the certificates of entries [0, end) exactly once each.
  void ExpectExactlyEntries(const std::string& root, size_t end) {
    uint64_t unparseable = 0;
    const std::map<std::string, int> written = WrittenCertificates(root, &unparseable);
    const std::map<std::string, int> want = CountDigests(manifest_, 0, end);
    EXPECT_EQ(unparseable, 0u);
    size_t missing = 0, extra = 0;
    for (const auto& [digest, n] : want) {
      auto it = written.find(digest);
      const int got = it == written.end() ? 0 : it->second;
      if (got < n) missing += n - got;
      if (got > n) extra += got - n;
    }
    for (const auto& [digest, n] : written) {
      if (!want.count(digest)) extra += n;
    }
    EXPECT_EQ(missing, 0u) << "entries of [0, " << end << ") not written";
    EXPECT_EQ(extra, 0u) << "certificates written that entries [0, " << end << ") do not hold";
  }

  // Every fault kind of `flags` was injected at least once.
  void ExpectFaultsInjected(const LogServer& server, const std::vector<std::string>& names) {
    const nlohmann::json stats = nlohmann::json::parse(server.Stats(), nullptr, false);
    ASSERT_TRUE(stats.is_object()) << server.Stats();
    for (const std::string& name : names) {
      EXPECT_GE(stats["faults"].value(name, 0), 1) << name << " never injected: " << stats.dump();
    }
    std::cout << "server: " << stats.dump() << "\n";
  }

  void FetchUnderFaults(Api api, const std::vector<std::string>& server_flags,
                        const std::vector<std::string>& fault_names) {
    LogServer server(tmp_.path() + "/server.log");
    std::vector<std::string> args = {"--log-dir", log_.log_dir, "--sign-key", key_.pem_path};
    args.insert(args.end(), server_flags.begin(), server_flags.end());
    ASSERT_TRUE(server.Start(args));
    const std::string root = tmp_.path() + "/root";
    const ChildRun run = Fetch(api, server, root, key_.spki_base64);
    std::cout << "ct-fetch: exit " << run.exit_code << " in " << run.seconds << " s, peak RSS "
              << run.max_rss_kib << " KiB\n";
    ASSERT_EQ(run.exit_code, 0) << Tail(run.output);
    ExpectFaultsInjected(server, fault_names);
    EXPECT_EQ(StateNextIndex(root), static_cast<int64_t>(manifest_.size()));
    ExpectExactlyEntries(root, manifest_.size());
    ExpectReduceMatchesKnownAnswers(root, log_);
  }

  // The first x509 entry at or after `index`: a bit flipped in the middle of
  // it lands in the certificate, so its leaf hash changes.
  size_t X509EntryFrom(size_t index) const {
    while (index < manifest_.size() && manifest_[index].precert) ++index;
    return index;
  }

  TempDir tmp_;
  GeneratedLog log_;
  std::vector<ManifestEntry> manifest_;
  KeyPair key_;
};

TEST_F(FetchScaleTest, Rfc6962UnderFaultsLandsEveryEntry) {
  std::vector<std::string> kinds = TransportFaults();
  kinds.insert(kinds.end(), {"--fail-truncate-json", "--fail-invalid-json", "--fail-short-read"});
  std::vector<std::string> flags = FaultFlags(kinds, 0.04, 11);
  // Pages of at most 200 entries: ct-fetch asks for 256 and must learn the cap.
  flags.insert(flags.end(), {"--max-entries", "200"});
  FetchUnderFaults(
      Api::kRfc6962, flags,
      {"429", "500", "drop", "truncate", "truncate-json", "invalid-json", "short-read"});
}

TEST_F(FetchScaleTest, TiledUnderFaultsLandsEveryEntry) {
  FetchUnderFaults(Api::kTiled, FaultFlags(TransportFaults(), 0.04, 12),
                   {"429", "500", "drop", "truncate"});
}

// One server serves both APIs with a bit flipped in one entry: each API stops
// at the round (--parallel 4 × 256 entries) that holds it, having written
// every entry before that round and none after, and exits 1.
TEST_F(FetchScaleTest, TamperedLeafIsRefusedWithItsRound) {
  const size_t tampered = X509EntryFrom(20011);
  LogServer server(tmp_.path() + "/server.log");
  ASSERT_TRUE(server.Start({"--log-dir", log_.log_dir, "--sign-key", key_.pem_path, "--tamper-leaf",
                            std::to_string(tampered)}));
  for (Api api : {Api::kRfc6962, Api::kTiled}) {
    const std::string root = tmp_.path() + (api == Api::kRfc6962 ? "/rfc6962" : "/tiled");
    const ChildRun run = RunBounded(
        FetchArgv(api, server.url(), root, key_.spki_base64, {"--parallel", "4", "--batch", "256"}),
        kRunDeadlineSeconds);
    SCOPED_TRACE(api == Api::kRfc6962 ? "RFC 6962" : "tiled");
    EXPECT_EQ(run.exit_code, 1) << run.output;
    EXPECT_NE(run.output.find("entries ["), std::string::npos) << run.output;
    const int64_t next = StateNextIndex(root);
    EXPECT_LE(next, static_cast<int64_t>(tampered));
    EXPECT_GT(next + 1024, static_cast<int64_t>(tampered)) << "stopped before the tampered round";
    ExpectExactlyEntries(root, static_cast<size_t>(std::max<int64_t>(next, 0)));
  }
}

// A server signing with another key: both APIs refuse the head and write nothing.
TEST_F(FetchScaleTest, BadSignatureIsRefused) {
  const KeyPair other = MakeKeyPair(tmp_.path(), "other-key");
  LogServer server(tmp_.path() + "/server.log");
  ASSERT_TRUE(server.Start({"--log-dir", log_.log_dir, "--sign-key", other.pem_path}));
  for (Api api : {Api::kRfc6962, Api::kTiled}) {
    const std::string root = tmp_.path() + (api == Api::kRfc6962 ? "/rfc6962" : "/tiled");
    const ChildRun run = Fetch(api, server, root, key_.spki_base64);
    SCOPED_TRACE(api == Api::kRfc6962 ? "RFC 6962" : "tiled");
    EXPECT_EQ(run.exit_code, 1) << run.output;
    EXPECT_NE(run.output.find("does not verify"), std::string::npos) << run.output;
    EXPECT_EQ(StateFile(root), "");
    EXPECT_TRUE(WrittenCertificates(root).empty());
  }
}

}  // namespace
}  // namespace ctmr::testing

namespace ctmr::testing {
namespace {

// ct-fetch's hot path against its references on every entry of the 100,981-
// entry log: get-entries pages of 1,000 through simdjson (EntryBatch) and
// through nlohmann (ParseGetEntriesResponse); each precertificate's TBS by
// our DER splice and by OpenSSL, and both against the TBS the log signed;
// each issuer's SPKI by both; and the fields the writer reads (notAfter,
// serial, issuer) by our DER reader and by OpenSSL.
TEST(FetchDifferentialTest, HotPathAgreesWithItsReferencesOnEveryEntry) {
  TempDir tmp;
  const GeneratedLog log = BigLog(tmp.path());
  const std::vector<std::string> lines =
      absl::StrSplit(ReadFile(log.log_dir + "/entries.jsonl"), '\n', absl::SkipEmpty());
  ASSERT_GE(lines.size(), 100000u);
  verify::EntryBatch batch;
  std::set<std::string> issuers_checked;
  std::string ours;
  std::string theirs;
  size_t precerts = 0;
  x509::CertificateView fast;
  x509::CertificateView reference;
  for (size_t start = 0; start < lines.size(); start += 1000) {
    const size_t n = std::min<size_t>(1000, lines.size() - start);
    std::string page = "{\"entries\": [";
    for (size_t i = 0; i < n; ++i) absl::StrAppend(&page, i ? "," : "", lines[start + i]);
    page += "]}";
    absl::StatusOr<std::vector<verify::LogEntry>> want = verify::ParseGetEntriesResponse(page, n);
    ASSERT_TRUE(want.ok()) << want.status();
    ASSERT_TRUE(verify::ParseGetEntriesInto(page, n, &batch).ok());
    ASSERT_EQ(batch.size(), want->size());
    for (size_t i = 0; i < n; ++i) {
      const verify::LogEntry& w = (*want)[i];
      const verify::EntryView& e = batch[i];
      SCOPED_TRACE(absl::StrCat("entry ", start + i));
      ASSERT_EQ(e.merkle_tree_leaf, w.merkle_tree_leaf);
      ASSERT_EQ(e.certificate, w.certificate);
      ASSERT_EQ(e.tbs_certificate, w.tbs_certificate);
      ASSERT_EQ(e.issuer_key_hash, w.issuer_key_hash);
      ASSERT_EQ(e.chain_size, w.chain.size());
      for (size_t k = 0; k < e.chain_size; ++k)
        ASSERT_EQ(batch.chain_certificate(i, k), w.chain[k]);
      const std::string_view cert(e.certificate.data(), e.certificate.size());
      if (e.type == verify::LogEntryType::kPrecert) {
        ++precerts;
        ASSERT_TRUE(x509::RemovePoisonToTbs(cert, &ours).ok());
        ASSERT_TRUE(x509::RemovePoisonToTbsWithOpenSsl(cert, &theirs).ok());
        ASSERT_EQ(ours, theirs);
        ASSERT_EQ(ours, w.tbs_certificate);
      }
      // The writer's fields: notAfter (the date directory), serial, issuer.
      ASSERT_TRUE(x509::ParseCertificateDer(cert, &fast).ok());
      ASSERT_TRUE(x509::ParseCertificateWithOpenSsl(cert, &reference).ok());
      ASSERT_EQ(fast.not_after, reference.not_after);
      ASSERT_EQ(fast.serial, reference.serial);
      ASSERT_EQ(fast.issuer, reference.issuer);
      if (!w.chain.empty() && issuers_checked.insert(w.chain[0]).second) {
        absl::StatusOr<std::string_view> spki = x509::SubjectPublicKeyInfoDer(w.chain[0]);
        absl::StatusOr<std::string> spki_ref = x509::SubjectPublicKeyInfoDerWithOpenSsl(w.chain[0]);
        ASSERT_TRUE(spki.ok() && spki_ref.ok());
        ASSERT_EQ(std::string(*spki), *spki_ref);
      }
    }
  }
  EXPECT_GT(precerts, 5000u);
  std::cout << lines.size() << " entries, " << precerts << " precertificates, "
            << issuers_checked.size()
            << " issuers: the hot path agrees with OpenSSL and nlohmann\n";
}

}  // namespace
}  // namespace ctmr::testing
