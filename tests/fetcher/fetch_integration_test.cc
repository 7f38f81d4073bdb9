// ct-fetch end to end: the real binary against tests/fetch_log_server serving
// the first 512 entries of Geomys' Navigli 2025h2 through both read APIs,
// signed with a test key; then `ct-worker map` counts what was written.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <functional>
#include <iostream>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/base/file_util.h"
#include "common/x509/certificate_file_reader.h"
#include "common/x509/certificate_view.h"
#include "common/x509/openssl_certificate_parser.h"
#include "fetcher/verify/codec.h"
#include "nlohmann/json.hpp"
#include "tests/support/test_support.h"

namespace ctmr {
namespace {

using ::ctmr::testing::BinaryPath;
using ::ctmr::testing::ListDir;
using ::ctmr::testing::RunCommand;
using ::ctmr::testing::TempDir;

constexpr char kOrigin[] = "navigli2025h2.sunlight.geomys.org";
constexpr char kDateDir[] = "2025-08-01";  // every Navigli certificate expires that day

std::string SourceDir() {
  const char* src = std::getenv("CT_SOURCE_DIR");
  return src ? src : ".";
}
std::string ServerDir() { return SourceDir() + "/tests/fetch_log_server"; }
std::string NavigliDir() { return SourceDir() + "/tests/data/ct/navigli2025h2"; }

// The static-ct-api note key ID is SHA-256(name ‖ 0x0A ‖ 0x05 ‖ LogID)[:4], the
// LogID being SHA-256 of the SPKI. The test server hashes the bare SPKI
// instead, so for tiled logs the test signs the checkpoint itself and serves
// it as a pre-signed file (log.json "checkpoint").
constexpr char kSignCheckpointPy[] = R"PY(
import base64, hashlib, json, os, struct, sys
sys.dont_write_bytecode = True
sys.path.insert(0, sys.argv[1])
import ct_test_log_server as s
log_dir, key = sys.argv[2], sys.argv[3]
log = s.load_log_dir(log_dir)
signer = s.Signer(key)
size, name = log.tree.size, log.origin
root = log.tree.mth(0, size)
kid = hashlib.sha256(name.encode() + b"\n\x05" + hashlib.sha256(signer.spki).digest()).digest()[:4]
sig = kid + struct.pack(">Q", log.timestamp) + signer.digitally_signed(log.timestamp, size, root)
text = "%s\n%d\n%s\n\n\u2014 %s %s\n" % (name, size, base64.b64encode(root).decode(), name,
                                         base64.b64encode(sig).decode())
with open(os.path.join(log_dir, "checkpoint.txt"), "w") as f:
    f.write(text)
with open(os.path.join(log_dir, "log.json")) as f:
    manifest = json.load(f)
manifest["checkpoint"] = "checkpoint.txt"
with open(os.path.join(log_dir, "log.json"), "w") as f:
    json.dump(manifest, f)
)PY";

class FetchIntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    key_ = tmp_.path() + "/log-key.pem";
    ASSERT_EQ(RunCommand({"/usr/bin/openssl", "ecparam", "-genkey", "-name", "prime256v1", "-noout",
                          "-out", key_})
                  .exit_code,
              0);
    const std::string spki = tmp_.path() + "/log-key.spki";
    ASSERT_EQ(RunCommand({"/usr/bin/openssl", "pkey", "-in", key_, "-pubout", "-outform", "DER",
                          "-out", spki})
                  .exit_code,
              0);
    key_b64_ = verify::EncodeBase64(base::ReadFileToString(spki).value_or(""));
    root_ = tmp_.path() + "/root";
  }

  void TearDown() override { StopServer(); }

  void StopServer() {
    if (server_pid_ > 0) {
      ::kill(server_pid_, SIGTERM);
      ctmr::testing::WaitProcess(server_pid_);
      server_pid_ = -1;
    }
  }

  // Starts the server with `args` after the source arguments; sets url_. The
  // state file is named after the URL, so a restart that must resume keeps
  // the port.
  void StartServer(const std::vector<std::string>& args, const std::string& port_arg = "0") {
    std::vector<std::string> argv = {
        "/usr/bin/python3", "-u", ServerDir() + "/ct_test_log_server.py", "--port", port_arg,
        "--sign-key",       key_};
    argv.insert(argv.end(), args.begin(), args.end());
    const std::string log = tmp_.path() + "/server.log";
    server_pid_ = ctmr::testing::StartProcessLogged(argv, log);
    std::string port;
    ASSERT_TRUE(ctmr::testing::WaitFor(10, [&] {
      const std::string out = ctmr::testing::ReadFile(log);
      const size_t at = out.find("listening 127.0.0.1:");
      const size_t eol = out.find('\n', at);
      if (at == std::string::npos || eol == std::string::npos) return false;
      port = out.substr(at + 20, eol - at - 20);
      return true;
    })) << ctmr::testing::ReadFile(log);
    url_ = "http://127.0.0.1:" + port;
    port_ = port;
  }

  // A --log-dir of the first `tree_size` Navigli entries with a checkpoint
  // signed by the test key.
  std::string MakeLogDir(int tree_size, const std::string& name = "log") {
    const std::string dir = tmp_.path() + "/" + name;
    EXPECT_EQ(RunCommand({"/usr/bin/python3", ServerDir() + "/make_navigli_log.py", NavigliDir(),
                          dir, "--tree-size", std::to_string(tree_size)})
                  .exit_code,
              0);
    const std::string script = tmp_.path() + "/sign_checkpoint.py";
    ctmr::testing::WriteFile(script, kSignCheckpointPy);
    const auto r = RunCommand({"/usr/bin/python3", script, ServerDir(), dir, key_});
    EXPECT_EQ(r.exit_code, 0) << r.output;
    return dir;
  }

  ctmr::testing::CommandResult FetchRfc6962(std::vector<std::string> extra = {}) {
    std::vector<std::string> argv = {BinaryPath("ct-fetch"),
                                     "--data-dir",
                                     root_,
                                     "--rfc6962-log",
                                     url_ + "/",
                                     "--log-key",
                                     key_b64_,
                                     "--once",
                                     "--include-expired"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return RunCommand(argv);
  }

  ctmr::testing::CommandResult FetchTiled(std::vector<std::string> extra = {}) {
    std::vector<std::string> argv = {BinaryPath("ct-fetch"),
                                     "--data-dir",
                                     root_,
                                     "--tiled-log",
                                     url_,
                                     "--origin",
                                     kOrigin,
                                     "--log-key",
                                     key_b64_,
                                     "--once",
                                     "--include-expired"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return RunCommand(argv);
  }

  // Certificates stored under ROOT/2025-08-01 (PEM blocks or segment records).
  uint64_t CountBlocks() {
    const std::string dir = root_ + "/" + kDateDir;
    uint64_t blocks = 0;
    for (const std::string& name : ListDir(dir)) {
      const std::optional<x509::CertificateFileFormat> format = x509::FormatOfFileName(name);
      if (!format) continue;
      auto ok = [](std::string_view) { return true; };
      absl::StatusOr<x509::FileReadResult> r =
          x509::ReadCertificateFile(dir + "/" + name, 0, *format, ok);
      EXPECT_TRUE(r.ok()) << r.status();
      if (r.ok()) blocks += r->blocks - r->malformed_blocks;
    }
    return blocks;
  }

  // The one log state file (ROOT/state also holds ct-fetch.lock).
  std::string StateFile() {
    std::vector<std::string> names = StateFiles();
    return names.size() == 1 ? root_ + "/state/" + names[0] : "";
  }

  std::vector<std::string> StateFiles() {
    std::vector<std::string> names;
    for (const std::string& name : ListDir(root_ + "/state")) {
      if (absl::EndsWith(name, ".json")) names.push_back(name);
    }
    return names;
  }

  TempDir tmp_;
  std::string key_, key_b64_, root_, url_, port_;
  pid_t server_pid_ = -1;
};

TEST_F(FetchIntegrationTest, Rfc6962NavigliIsFetchedVerifiedAndMapped) {
  StartServer({"--serve-real-navigli", NavigliDir()});
  auto r = FetchRfc6962();
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(CountBlocks(), 512u);
  EXPECT_FALSE(ListDir(root_ + "/issuers").empty());
  EXPECT_NE(ctmr::testing::ReadFile(StateFile()).find("\"next_index\": 512"), std::string::npos);

  // A second run finds nothing new and appends nothing.
  r = FetchRfc6962();
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(CountBlocks(), 512u);

  r = RunCommand({BinaryPath("ct-worker"), "map", root_ + "/" + kDateDir});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("512 new certificates"), std::string::npos) << r.output;
}

TEST_F(FetchIntegrationTest, TiledNavigliWithPartialTileIsFetched) {
  const std::string dir = MakeLogDir(300);  // tile 1 is partial: .p/44
  StartServer({"--log-dir", dir});
  auto r = FetchTiled();
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(CountBlocks(), 300u);
  EXPECT_FALSE(ListDir(root_ + "/issuers").empty());
  EXPECT_NE(ctmr::testing::ReadFile(StateFile()).find("\"next_index\": 300"), std::string::npos);
}

TEST_F(FetchIntegrationTest, TiledTamperedLeafWritesNothing) {
  const std::string dir = MakeLogDir(512);
  StartServer({"--log-dir", dir, "--tamper-leaf", "100"});
  auto r = FetchTiled();
  EXPECT_EQ(r.exit_code, 1) << r.output;
  // Entry 100 is a precertificate: the flipped bit lands in its pre_certificate,
  // which the leaf hash does not cover, so the TBSCertificate comparison finds it.
  EXPECT_NE(r.output.find("entry 100"), std::string::npos) << r.output;
  EXPECT_EQ(CountBlocks(), 0u);
  EXPECT_EQ(StateFile(), "");
}

TEST_F(FetchIntegrationTest, Rfc6962TamperedLeafStopsBeforeItsBatch) {
  StartServer({"--serve-real-navigli", NavigliDir(), "--tamper-leaf", "300"});
  auto r = FetchRfc6962({"--parallel", "1"});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("entries [256, 512)"), std::string::npos) << r.output;
  EXPECT_EQ(CountBlocks(), 256u);  // the first batch verified; the second did not
  EXPECT_NE(ctmr::testing::ReadFile(StateFile()).find("\"next_index\": 256"), std::string::npos);
}

TEST_F(FetchIntegrationTest, Rfc6962ParallelWindowsLearnThePageCap) {
  StartServer({"--serve-real-navigli", NavigliDir(), "--max-entries", "100"});
  auto r = FetchRfc6962({"--batch", "256", "--parallel", "4"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(CountBlocks(), 512u);
  EXPECT_NE(ctmr::testing::ReadFile(StateFile()).find("\"next_index\": 512"), std::string::npos);
  // Round 1 asks [0, 256) and [256, 512) and gets 100 of each; from then on
  // pages of 100 fill the gaps: 6 get-entries, a get-sth and one consistency
  // proof per round.
  auto stats = RunCommand({"/usr/bin/curl", "-s", url_ + "/_test/stats"});
  const auto json = nlohmann::json::parse(stats.output, nullptr, false);
  ASSERT_TRUE(json.is_object()) << stats.output;
  EXPECT_LE(json["requests"].get<int>(), 10) << stats.output;
}

TEST_F(FetchIntegrationTest, TiledCommitsEachTileProvenByHashTiles) {
  const std::string dir = MakeLogDir(300);
  StartServer({"--log-dir", dir, "--tamper-leaf", "290"});
  auto r = FetchTiled({"--parallel", "1"});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  // Tile 0 was proven against the checkpoint of size 300 with hash tiles and
  // written before tile 1, which holds the tampered entry, was refused.
  EXPECT_EQ(CountBlocks(), 256u) << r.output;
  EXPECT_NE(ctmr::testing::ReadFile(StateFile()).find("\"next_index\": 256"), std::string::npos);
}

TEST_F(FetchIntegrationTest, TiledResumesWhenTheLogGrows) {
  StartServer({"--log-dir", MakeLogDir(300, "log300")});
  auto r = FetchTiled({"--parallel", "1"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(CountBlocks(), 300u);
  // The same log, grown to 512 entries: the new checkpoint is proven
  // consistent with the verified one, and only entries 300… are fetched.
  StopServer();
  StartServer({"--log-dir", MakeLogDir(512, "log512")}, port_);
  r = FetchTiled({"--parallel", "2"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(CountBlocks(), 512u);
  EXPECT_NE(ctmr::testing::ReadFile(StateFile()).find("\"next_index\": 512"), std::string::npos);
}

TEST_F(FetchIntegrationTest, TiledCheckpointOfAnotherTreeIsRefused) {
  StartServer({"--log-dir", MakeLogDir(300, "log300")});
  ASSERT_EQ(FetchTiled().exit_code, 0);
  const std::string state = ctmr::testing::ReadFile(StateFile());
  // A 512-entry log whose first 300 entries differ: entry 10 tampered at the
  // source (its timestamp), so hashes, tiles and checkpoint all describe
  // another tree.
  StopServer();
  const std::string other = MakeLogDir(512, "log512");
  RunCommand({"/usr/bin/python3", "-c",
              "import json,sys; p=sys.argv[1]; lines=open(p).read().splitlines(); "
              "e=json.loads(lines[10]); e.pop('tile_leaf', None); "
              "import base64; b=bytearray(base64.b64decode(e['leaf_input'])); b[9]^=1; "
              "e['leaf_input']=base64.b64encode(bytes(b)).decode(); lines[10]=json.dumps(e); "
              "open(p,'w').write('\\n'.join(lines)+'\\n')",
              other + "/entries.jsonl"});
  ASSERT_EQ(RunCommand(
                {"/usr/bin/python3", tmp_.path() + "/sign_checkpoint.py", ServerDir(), other, key_})
                .exit_code,
            0);
  StartServer({"--log-dir", other}, port_);
  auto r = FetchTiled();
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("is not consistent with the verified size 300"), std::string::npos)
      << r.output;
  EXPECT_EQ(ctmr::testing::ReadFile(StateFile()), state);
  EXPECT_EQ(CountBlocks(), 300u);
}

TEST_F(FetchIntegrationTest, LogListFromAUrlFollowsBothApis) {
  StartServer({"--log-dir", MakeLogDir(300)});
  // A Chrome v3 log list naming the one server twice: as an RFC 6962 log and
  // as a tiled log (whose origin comes from its submission URL). Both have
  // the same key, so they are one log with one state: it is followed once,
  // through the first listing.
  const std::string www = tmp_.path() + "/www";
  ASSERT_EQ(::mkdir(www.c_str(), 0755), 0);
  ctmr::testing::WriteFile(
      www + "/log_list.json",
      nlohmann::json({{"version", "1.0"},
                      {"operators",
                       {{{"name", "Test operator"},
                         {"email", {"ct@example.org"}},
                         {"logs",
                          {{{"description", "Test RFC 6962 log"},
                            {"key", key_b64_},
                            {"url", url_ + "/"},
                            {"mmd", 86400},
                            {"state", {{"usable", {{"timestamp", "2025-01-01T00:00:00Z"}}}}}}}},
                         {"tiled_logs",
                          {{{"description", "Test tiled log"},
                            {"key", key_b64_},
                            {"submission_url", std::string("https://") + kOrigin + "/"},
                            {"monitoring_url", url_},
                            {"mmd", 60},
                            {"state", {{"usable", {{"timestamp", "2025-01-01T00:00:00Z"}}}}}}}}}}}})
          .dump());
  const std::string list_log = tmp_.path() + "/list-server.log";
  const pid_t list_server =
      ctmr::testing::StartProcessLogged({"/usr/bin/python3", "-u", "-m", "http.server", "0",
                                         "--bind", "127.0.0.1", "--directory", www},
                                        list_log);
  std::string port;
  ASSERT_TRUE(ctmr::testing::WaitFor(10, [&] {
    const std::string out = ctmr::testing::ReadFile(list_log);
    const size_t at = out.find(" port ");
    if (at == std::string::npos) return false;
    port = out.substr(at + 6, out.find(' ', at + 6) - at - 6);
    return true;
  })) << ctmr::testing::ReadFile(list_log);
  auto r =
      RunCommand({BinaryPath("ct-fetch"), "--data-dir", root_, "--log-list",
                  "http://127.0.0.1:" + port + "/log_list.json", "--once", "--include-expired"});
  ::kill(list_server, SIGTERM);
  ctmr::testing::WaitProcess(list_server);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("Test RFC 6962 log: 300 certificates written"), std::string::npos)
      << r.output;
  EXPECT_NE(
      r.output.find("Test tiled log is the log of Test RFC 6962 log (same key): followed once"),
      std::string::npos)
      << r.output;
  EXPECT_EQ(CountBlocks(), 300u);
  EXPECT_EQ(StateFiles().size(), 1u);
}

// DESIGN.md §2.1: the compact format stores each distinct certificate once,
// whichever API and log it comes through, in at most 350 bytes (the real
// Navigli entries); the reports equal those of every CT copy stored as PEM.
TEST_F(FetchIntegrationTest, CompactStoresEachNavigliCertificateOnceInUnder350Bytes) {
  const std::string dir = MakeLogDir(512);
  // Through both APIs into one root, as two logs holding the same entries
  // (real certificates are in 2-4 logs). The server has one key, so one log
  // ID and one state file: it is moved aside after the first API, so that
  // the second fetches every entry again.
  StartServer({"--log-dir", dir});
  auto r = FetchRfc6962();
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto set_aside = [this] {
    const std::string state = StateFile();
    ASSERT_FALSE(state.empty());
    ASSERT_EQ(::rename(state.c_str(), (state + ".rfc6962").c_str()), 0);
  };
  set_aside();
  r = FetchTiled();
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("0 certificates written, 512 stored already"), std::string::npos)
      << r.output;
  // The reference: every CT copy as PEM, the distinct (issuer, serial) pairs
  // counted with OpenSSL.
  const std::string compact_root = root_;
  root_ = tmp_.path() + "/pem-root";
  ASSERT_EQ(FetchRfc6962({"--format", "pem"}).exit_code, 0);
  set_aside();
  ASSERT_EQ(FetchTiled({"--format", "pem"}).exit_code, 0);
  std::set<std::pair<std::string, std::string>> distinct;
  uint64_t copies = 0;
  for (const std::string& name : ListDir(root_ + "/" + kDateDir)) {
    if (!absl::EndsWith(name, ".pem")) continue;
    const std::string issuer = name.substr(0, name.size() - 4);
    absl::StatusOr<x509::FileReadResult> read =
        x509::ReadCertificateFile(root_ + "/" + kDateDir + "/" + name, 0,
                                  x509::CertificateFileFormat::kPem, [&](std::string_view der) {
                                    x509::CertificateView view;
                                    EXPECT_TRUE(x509::ParseCertificateWithOpenSsl(der, &view).ok());
                                    distinct.emplace(issuer, std::string(view.serial));
                                    ++copies;
                                    return true;
                                  });
    ASSERT_TRUE(read.ok()) << read.status();
  }
  EXPECT_EQ(copies, 1024u);
  root_ = compact_root;
  EXPECT_EQ(CountBlocks(), distinct.size());
  uint64_t bytes = 0;
  for (const std::string& name : ListDir(root_ + "/" + kDateDir)) {
    if (absl::StartsWith(name, "oracle.out")) continue;
    bytes += ctmr::testing::ReadFile(root_ + "/" + kDateDir + "/" + name).size();
  }
  const double per_certificate = static_cast<double>(bytes) / distinct.size();
  std::cout << bytes << " bytes for " << distinct.size()
            << " distinct certificates: " << per_certificate << " bytes each\n";
  EXPECT_LE(per_certificate, 350.0);

  // The same reports from both roots.
  std::map<std::string, std::string> summaries;
  for (const std::string& root : {compact_root, tmp_.path() + "/pem-root"}) {
    const std::string out = root + "-reports";
    const auto report = RunCommand(ctmr::testing::RunOnceArgv(root, "2025-07-01", out));
    ASSERT_EQ(report.exit_code, 0) << report.output;
    const auto summary = nlohmann::json::parse(ctmr::testing::ReadFile(out + "/summary.json"),
                                               nullptr, /*allow_exceptions=*/false);
    ASSERT_TRUE(summary.is_object());
    summaries[root] = summary["totals"].dump() + summary["issuers"].dump();
    EXPECT_EQ(summary["totals"]["certs_active"].get<uint64_t>(), distinct.size());
  }
  EXPECT_EQ(summaries[compact_root], summaries[tmp_.path() + "/pem-root"]);
}

TEST_F(FetchIntegrationTest, LongRunningFollowsGrowthUntilSigterm) {
  StartServer({"--log-dir", MakeLogDir(300, "log300")});
  const std::string log = tmp_.path() + "/fetch.log";
  const pid_t fetch = ctmr::testing::StartProcessLogged(
      {BinaryPath("ct-fetch"), "--data-dir", root_, "--tiled-log", url_, "--origin", kOrigin,
       "--log-key", key_b64_, "--include-expired", "--poll-seconds", "0.5"},
      log);
  EXPECT_TRUE(ctmr::testing::WaitFor(30, [&] { return CountBlocks() == 300; }))
      << ctmr::testing::ReadFile(log);
  // The log is down for a moment, then back with 512 entries.
  StopServer();
  StartServer({"--log-dir", MakeLogDir(512, "log512")}, port_);
  EXPECT_TRUE(ctmr::testing::WaitFor(60, [&] { return CountBlocks() == 512; }))
      << ctmr::testing::ReadFile(log);
  ::kill(fetch, SIGTERM);
  EXPECT_EQ(ctmr::testing::WaitProcess(fetch), 0) << ctmr::testing::ReadFile(log);
  EXPECT_NE(ctmr::testing::ReadFile(log).find("512 / 512 entries"), std::string::npos);
  EXPECT_NE(ctmr::testing::ReadFile(StateFile()).find("\"next_index\": 512"), std::string::npos);
}

TEST_F(FetchIntegrationTest, MetricsMoveAndHealthTurns500WhenTheLogStopsGrowing) {
  StartServer({"--log-dir", MakeLogDir(300, "log300")});
  const std::string log = tmp_.path() + "/fetch.log";
  const pid_t fetch = ctmr::testing::StartProcessLogged(
      {BinaryPath("ct-fetch"), "--data-dir", root_, "--tiled-log", url_, "--origin", kOrigin,
       "--log-key", key_b64_, "--include-expired", "--poll-seconds", "1", "--metrics-listen",
       "127.0.0.1:0"},
      log);
  std::string port;
  ASSERT_TRUE(ctmr::testing::WaitFor(10, [&] {
    const std::string out = ctmr::testing::ReadFile(log);
    const size_t at = out.find("metrics on port ");
    if (at == std::string::npos) return false;
    port = out.substr(at + 16, out.find(' ', at + 16) - at - 16);
    return true;
  })) << ctmr::testing::ReadFile(log);
  auto get = [&](const std::string& path) {
    return RunCommand({"/usr/bin/curl", "-s", "-w", "\nHTTP %{http_code}\n",
                       "http://127.0.0.1:" + port + path})
        .output;
  };
  const std::string entries = "ct_fetch_entries_total{log=\"" + url_ + "\"} ";
  EXPECT_TRUE(ctmr::testing::WaitFor(20, [&] {
    return get("/metrics").find(entries + "300") != std::string::npos;
  })) << get("/metrics");
  EXPECT_NE(get("/healthz").find("HTTP 200"), std::string::npos);
  // No new entries for 2 polling intervals: unhealthy, naming the log.
  std::string health;
  EXPECT_TRUE(ctmr::testing::WaitFor(10, [&] {
    health = get("/healthz");
    return health.find("HTTP 500") != std::string::npos;
  })) << health;
  EXPECT_NE(health.find(url_ + ": no new entries"), std::string::npos) << health;
  // The log grows again: the counters move and health comes back.
  StopServer();
  StartServer({"--log-dir", MakeLogDir(512, "log512")}, port_);
  EXPECT_TRUE(ctmr::testing::WaitFor(20, [&] {
    return get("/metrics").find(entries + "512") != std::string::npos;
  })) << get("/metrics");
  EXPECT_NE(get("/healthz").find("HTTP 200"), std::string::npos);
  EXPECT_NE(get("/metrics").find("ct_fetch_log_lag_entries{log=\"" + url_ + "\"} 0"),
            std::string::npos);
  ::kill(fetch, SIGTERM);
  EXPECT_EQ(ctmr::testing::WaitProcess(fetch), 0) << ctmr::testing::ReadFile(log);
}

TEST_F(FetchIntegrationTest, Rfc6962SurvivesErrorsAndShortReads) {
  StartServer({"--serve-real-navigli", NavigliDir(), "--fail-429", "2", "--fail-500", "2",
               "--short-reads"});
  auto r = FetchRfc6962({"--batch", "100"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(CountBlocks(), 512u);
}

TEST_F(FetchIntegrationTest, ShrinkingTreeIsAnErrorAndLeavesStateAlone) {
  StartServer({"--serve-real-navigli", NavigliDir(), "--shrink-tree"});
  auto r = FetchRfc6962();
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const std::string state = ctmr::testing::ReadFile(StateFile());
  r = FetchRfc6962();
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("tree head shrank"), std::string::npos) << r.output;
  EXPECT_EQ(ctmr::testing::ReadFile(StateFile()), state);
  EXPECT_EQ(CountBlocks(), 512u);
}

TEST_F(FetchIntegrationTest, OneFetcherPerDataRoot) {
  ASSERT_EQ(::mkdir(root_.c_str(), 0755), 0);
  ASSERT_EQ(::mkdir((root_ + "/state").c_str(), 0755), 0);
  const int fd = ::open((root_ + "/state/ct-fetch.lock").c_str(), O_RDWR | O_CREAT, 0644);
  ASSERT_EQ(::flock(fd, LOCK_EX | LOCK_NB), 0);
  auto r = FetchRfc6962();
  ::close(fd);
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("another ct-fetch holds"), std::string::npos) << r.output;
}

TEST_F(FetchIntegrationTest, BadUsageExitsTwo) {
  EXPECT_EQ(RunCommand({BinaryPath("ct-fetch"), "--data-dir", root_}).exit_code, 2);
  EXPECT_EQ(RunCommand({BinaryPath("ct-fetch"), "--tiled-log", "http://x/", "--log-key", key_b64_})
                .exit_code,
            2);
  EXPECT_EQ(RunCommand(
                {BinaryPath("ct-fetch"), "--rfc6962-log", "http://x/", "--log-key", "bm90IGEga2V5"})
                .exit_code,
            2);
  EXPECT_EQ(RunCommand({BinaryPath("ct-fetch"), "--log-list", "/nonexistent.json"}).exit_code, 2);
}

}  // namespace
}  // namespace ctmr
