#include "tests/fetcher/fetch_scale_harness.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string_view>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/x509/certificate_file_reader.h"
#include "common/x509/certificate_view.h"
#include "common/x509/openssl_certificate_parser.h"
#include "fetcher/verify/codec.h"
#include "tests/support/test_support.h"

namespace ctmr::testing {
namespace {

using Json = nlohmann::json;

std::string SourceDir() {
  const char* src = std::getenv("CT_SOURCE_DIR");
  return src != nullptr ? src : ".";
}

bool IsDateName(const std::string& name) {
  return name.size() == 10 && name[4] == '-' && name[7] == '-';
}

void ExpectSameCounts(const Json& want, const Json& got, const std::string& what) {
  for (const char* key :
       {"certs_active", "fqdns_active", "regdomains_active", "wildcards_active"}) {
    EXPECT_EQ(got.at(key), want.at(key)) << what << " " << key;
  }
}

}  // namespace

GeneratedLog MakeGeneratedLog(const std::string& dir, int certs) {
  const CommandResult r =
      RunCommand({"/bin/bash", SourceDir() + "/tests/fetch_log_server/make_big_log.sh",
                  BinaryPath("ct-gen"), dir, std::to_string(certs)});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  return {dir + "/corpus", dir + "/log"};
}

GeneratedLog BigLog(const std::string& scratch_dir) {
  const char* shared = std::getenv("CT_SCALE_LOG");
  if (shared != nullptr && !ReadFile(std::string(shared) + "/log/log.json").empty()) {
    return {std::string(shared) + "/corpus", std::string(shared) + "/log"};
  }
  return MakeGeneratedLog(scratch_dir + "/big", 91000);
}

std::vector<ManifestEntry> ReadManifest(const std::string& log_dir) {
  std::vector<ManifestEntry> entries;
  const std::string text = ReadFile(log_dir + "/manifest.tsv");
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    std::vector<absl::string_view> f = absl::StrSplit(line, '\t');
    if (f.size() < 3) continue;
    entries.push_back({f[1] == "precert", std::string(f[2])});
  }
  return entries;
}

std::map<std::string, int> CountDigests(const std::vector<ManifestEntry>& entries, size_t begin,
                                        size_t end) {
  std::map<std::string, int> counts;
  for (size_t i = begin; i < end && i < entries.size(); ++i) ++counts[entries[i].sha256_hex];
  return counts;
}

KeyPair MakeKeyPair(const std::string& dir, const std::string& name) {
  KeyPair k;
  k.pem_path = dir + "/" + name + ".pem";
  const std::string spki = dir + "/" + name + ".spki";
  EXPECT_EQ(RunCommand({"/usr/bin/openssl", "ecparam", "-genkey", "-name", "prime256v1", "-noout",
                        "-out", k.pem_path})
                .exit_code,
            0);
  EXPECT_EQ(RunCommand({"/usr/bin/openssl", "pkey", "-in", k.pem_path, "-pubout", "-outform", "DER",
                        "-out", spki})
                .exit_code,
            0);
  k.spki_base64 = verify::EncodeBase64(ReadFile(spki));
  return k;
}

::testing::AssertionResult LogServer::Start(const std::vector<std::string>& args) {
  Stop();
  std::vector<std::string> argv = {"/usr/bin/python3", "-u",
                                   SourceDir() + "/tests/fetch_log_server/ct_test_log_server.py"};
  const int inherited = shared_ != nullptr ? shared_->InheritableFd() : -1;
  if (shared_ != nullptr && inherited < 0) return ::testing::AssertionFailure() << "dup failed";
  if (inherited >= 0) {
    argv.insert(argv.end(), {"--listen-fd", std::to_string(inherited)});
  } else {
    argv.insert(argv.end(), {"--port", "0"});
  }
  argv.insert(argv.end(), args.begin(), args.end());
  pid_ = StartProcessLogged(argv, log_path_);
  if (inherited >= 0) ::close(inherited);
  bool exited = false;
  const bool up = WaitFor(180, [&] {
    if (::waitpid(pid_, nullptr, WNOHANG) == pid_) {
      exited = true;
      return true;
    }
    const std::string out = ReadFile(log_path_);
    const size_t at = out.find("listening 127.0.0.1:");
    const size_t eol = at == std::string::npos ? at : out.find('\n', at);
    if (eol == std::string::npos) return false;
    url_ = "http://127.0.0.1:" + out.substr(at + 20, eol - at - 20);
    return true;
  });
  if (exited) pid_ = -1;
  if (!up || exited) return ::testing::AssertionFailure() << "server did not start: " << Output();
  return ::testing::AssertionSuccess();
}

void LogServer::Stop() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  WaitProcess(pid_);
  pid_ = -1;
}

std::string LogServer::Output() const { return ReadFile(log_path_); }

std::string LogServer::Stats() const {
  return RunCommand({"/usr/bin/curl", "-s", "--max-time", "20", url_ + "/_test/stats"}).output;
}

std::vector<std::string> FetchArgv(Api api, const std::string& url, const std::string& root,
                                   const std::string& key_base64,
                                   const std::vector<std::string>& extra) {
  std::vector<std::string> argv = {BinaryPath("ct-fetch"), "--data-dir", root};
  if (api == Api::kRfc6962) {
    argv.insert(argv.end(), {"--rfc6962-log", url + "/"});
  } else {
    argv.insert(argv.end(), {"--tiled-log", url, "--origin", kBigLogOrigin});
  }
  argv.insert(argv.end(),
              {"--log-key", key_base64, "--once", "--include-expired", "--format", "pem"});
  argv.insert(argv.end(), extra.begin(), extra.end());
  return argv;
}

ChildRun RunBounded(const std::vector<std::string>& argv, double deadline_seconds) {
  char path[] = "/tmp/ctmr-bounded-XXXXXX";
  const int fd = ::mkstemp(path);
  if (fd < 0) throw std::runtime_error("mkstemp failed");
  const auto start = std::chrono::steady_clock::now();
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    ::dup2(fd, STDOUT_FILENO);
    ::dup2(fd, STDERR_FILENO);
    std::vector<char*> args;
    args.reserve(argv.size() + 1);
    for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  ChildRun run;
  const auto deadline =
      start + std::chrono::microseconds(static_cast<int64_t>(deadline_seconds * 1e6));
  int status = 0;
  rusage usage{};
  while (true) {
    const pid_t done = ::wait4(pid, &status, WNOHANG, &usage);
    if (done == pid) break;
    if (done < 0 && errno != EINTR) break;
    if (!run.timed_out && std::chrono::steady_clock::now() > deadline) {
      run.timed_out = true;
      ::kill(pid, SIGKILL);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  run.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  run.max_rss_kib = usage.ru_maxrss;
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
  ::close(fd);
  run.output = ReadFile(path);
  ::unlink(path);
  return run;
}

std::map<std::string, int> WrittenCertificates(const std::string& root, uint64_t* unparseable) {
  std::map<std::string, int> digests;
  uint64_t malformed = 0;
  for (const std::string& date : ListDir(root)) {
    if (!IsDateName(date)) continue;
    for (const std::string& name : ListDir(absl::StrCat(root, "/", date))) {
      const std::optional<x509::CertificateFileFormat> format = x509::FormatOfFileName(name);
      if (!format) continue;
      absl::StatusOr<x509::FileReadResult> r = x509::ReadCertificateFile(
          absl::StrCat(root, "/", date, "/", name), 0, *format, [&](std::string_view der) {
            ++digests[verify::HexEncode(verify::Sha256(absl::string_view(der.data(), der.size())))];
            return true;
          });
      EXPECT_TRUE(r.ok()) << r.status();
      if (r.ok()) malformed += r->malformed_blocks;
    }
  }
  if (unparseable != nullptr) *unparseable = malformed;
  return digests;
}

std::map<std::string, int> WrittenSerials(const std::string& root) {
  std::map<std::string, int> copies;
  for (const std::string& date : ListDir(root)) {
    if (!IsDateName(date)) continue;
    for (const std::string& name : ListDir(absl::StrCat(root, "/", date))) {
      const std::optional<x509::CertificateFileFormat> format = x509::FormatOfFileName(name);
      if (!format) continue;
      x509::CertificateView view;
      absl::StatusOr<x509::FileReadResult> r = x509::ReadCertificateFile(
          absl::StrCat(root, "/", date, "/", name), 0, *format, [&](std::string_view der) {
            EXPECT_TRUE(x509::ParseCertificateWithOpenSsl(der, &view).ok());
            ++copies[absl::StrCat(
                date, "/", name, " ",
                verify::HexEncode(absl::string_view(view.serial.data(), view.serial.size())))];
            return true;
          });
      EXPECT_TRUE(r.ok()) << r.status();
    }
  }
  return copies;
}

std::string StateFile(const std::string& root) {
  // ROOT/state holds the log's state file and ct-fetch.lock.
  std::vector<std::string> names;
  for (const std::string& name : ListDir(root + "/state")) {
    if (name.size() > 5 && name.compare(name.size() - 5, 5, ".json") == 0) names.push_back(name);
  }
  return names.size() == 1 ? root + "/state/" + names[0] : "";
}

int64_t StateNextIndex(const std::string& root) {
  const std::string path = StateFile(root);
  if (path.empty()) return -1;
  const Json j = Json::parse(ReadFile(path), nullptr, /*allow_exceptions=*/false);
  if (!j.is_object() || !j.contains("next_index")) return -1;
  return j["next_index"].get<int64_t>();
}

void ExpectReduceMatchesKnownAnswers(const std::string& root, const GeneratedLog& log,
                                     uint64_t unparseable_blocks) {
  std::vector<std::string> map = {BinaryPath("ct-worker"), "map"};
  for (const std::string& name : ListDir(root)) {
    if (IsDateName(name)) map.push_back(absl::StrCat(root, "/", name));
  }
  CommandResult r = RunCommand(map);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  r = RunCommand(
      {BinaryPath("ct-coordinator"), "reduce", "--data-dir", root, "--as-of", kBigLogAsOf});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const Json got = Json::parse(ReadFile(root + "/reports/summary.json"), nullptr, false);
  const Json want = Json::parse(ReadFile(log.corpus_dir + "/known-answers.json"), nullptr, false);
  ASSERT_TRUE(got.is_object() && want.is_object());
  ExpectSameCounts(want["totals"], got["totals"], "totals");
  EXPECT_EQ(got["directories"]["active"], want["directories"]["active"]);
  EXPECT_EQ(got["directories"]["failed"].size(), 0u);
  EXPECT_EQ(got["errors"]["unparseable_blocks"], unparseable_blocks);
  std::map<std::string, Json> issuers;
  for (const Json& i : got["issuers"]) issuers[i["issuer_id"]] = i;
  EXPECT_EQ(got["issuers"].size(), want["issuers"].size());
  for (const Json& w : want["issuers"]) {
    const std::string id = w["issuer_id"];
    ASSERT_EQ(issuers.count(id), 1u) << id;
    ExpectSameCounts(w, issuers[id], id);
    EXPECT_EQ(issuers[id]["issuer_name"], w["issuer_name"]) << id;
  }
  std::map<std::string, Json> orgs;
  for (const Json& o : got["organizations"]) orgs[o["organization"]] = o;
  EXPECT_EQ(got["organizations"].size(), want["organizations"].size());
  for (const Json& w : want["organizations"]) {
    const std::string name = w["organization"];
    ASSERT_EQ(orgs.count(name), 1u) << name;
    ExpectSameCounts(w, orgs[name], name);
  }
  EXPECT_EQ(got["issued_per_day"], want["issued_per_day"]);
}

}  // namespace ctmr::testing
