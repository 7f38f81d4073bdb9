// What the scale, crash and hostile-server tests of ct-fetch share: a big
// generated log (tests/fetch_log_server/make_big_log.sh: a ct-gen corpus turned
// into a --log-dir), the test log server as a child process, ct-fetch runs
// bounded in time with their peak RSS, and checks of what ct-fetch wrote against
// the log's manifest and against ct-gen's known answers.
#ifndef CT_TESTS_FETCHER_FETCH_SCALE_HARNESS_H_
#define CT_TESTS_FETCHER_FETCH_SCALE_HARNESS_H_

#include <gtest/gtest.h>
#include <sys/types.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "tests/support/test_support.h"

namespace ctmr::testing {

// make_big_log.sh's constants: the corpus is counted as of this date, and the
// log's checkpoint origin (make_corpus_log.py's default).
inline constexpr char kBigLogAsOf[] = "2026-11-26";
inline constexpr char kBigLogOrigin[] = "ct-gen.example/big-log";

enum class Api { kRfc6962, kTiled };

// A generated log: DIR/corpus (ct-gen root with known-answers.json) and
// DIR/log (log.json, entries.jsonl, issuers/, manifest.tsv, summary.json).
struct GeneratedLog {
  std::string corpus_dir;
  std::string log_dir;
};

// The 100,981-entry log: $CT_SCALE_LOG when set (the FetchScale.MakeLog ctest
// fixture makes it once for every test), else made under `scratch_dir`.
GeneratedLog BigLog(const std::string& scratch_dir);
// make_big_log.sh with `certs` regular certificates into `dir`.
GeneratedLog MakeGeneratedLog(const std::string& dir, int certs);

struct ManifestEntry {
  bool precert = false;
  std::string sha256_hex;  // of the certificate ct-fetch writes for the entry
};
std::vector<ManifestEntry> ReadManifest(const std::string& log_dir);
// SHA-256 hex → how many times it is among `entries` [begin, end).
std::map<std::string, int> CountDigests(const std::vector<ManifestEntry>& entries, size_t begin,
                                        size_t end);

// A P-256 key for the server (pem_path) and ct-fetch (spki_base64).
struct KeyPair {
  std::string pem_path;
  std::string spki_base64;
};
KeyPair MakeKeyPair(const std::string& dir, const std::string& name);

// ct_test_log_server.py as a child process; stopped on destruction.
class LogServer {
 public:
  // Binds a port of its own (port 0, read back from its output), or serves on
  // `shared`, which must outlive it: ct-fetch's state is tied to the log's
  // URL, so servers that stand for the same log one after the other share it.
  explicit LogServer(std::string log_path, const SharedListener* shared = nullptr)
      : log_path_(std::move(log_path)), shared_(shared) {}
  ~LogServer() { Stop(); }
  LogServer(const LogServer&) = delete;
  LogServer& operator=(const LogServer&) = delete;

  // Starts the server with `args` (after --port) and waits for its port;
  // loading a 100,000-entry log takes a few seconds.
  ::testing::AssertionResult Start(const std::vector<std::string>& args);
  void Stop();
  const std::string& url() const { return url_; }
  std::string Output() const;
  // /_test/stats: {"requests", "head_requests", "faults": {kind: n}}, as text.
  std::string Stats() const;

 private:
  std::string log_path_;
  const SharedListener* shared_;
  std::string url_;
  pid_t pid_ = -1;
};

// ct-fetch --once for one log served at `url` (both APIs from one server),
// storing every CT copy (--format pem): the scale, crash and hostile tests
// compare what is written with the log's manifest entry by entry.
std::vector<std::string> FetchArgv(Api api, const std::string& url, const std::string& root,
                                   const std::string& key_base64,
                                   const std::vector<std::string>& extra = {});

struct ChildRun {
  int exit_code = -1;  // -signal when killed
  bool timed_out = false;
  double seconds = 0;
  int64_t max_rss_kib = 0;  // peak resident set of the child (getrusage)
  std::string output;       // stdout and stderr
};
// Runs argv, killing it (SIGKILL) if it is still running after `deadline_seconds`.
ChildRun RunBounded(const std::vector<std::string>& argv, double deadline_seconds);

// SHA-256 hex → count of every certificate stored in ROOT/<date>/ (PEM
// blocks and segment records); *unparseable counts blocks that are not a
// certificate.
std::map<std::string, int> WrittenCertificates(const std::string& root,
                                               uint64_t* unparseable = nullptr);
// "<date>/<file> <serial hex>" → how many times that certificate is stored.
std::map<std::string, int> WrittenSerials(const std::string& root);
// The single state file under ROOT/state ("" if there is none or several).
std::string StateFile(const std::string& root);
// Its next_index, or -1.
int64_t StateNextIndex(const std::string& root);

// `ct-worker map` over each date folder of ROOT, then `ct-coordinator reduce
// --as-of kBigLogAsOf`: summary.json must say what the corpus's
// known-answers.json says (totals, per issuer, per organization, issued per day)
// and count `unparseable_blocks` blocks that are not certificates.
void ExpectReduceMatchesKnownAnswers(const std::string& root, const GeneratedLog& log,
                                     uint64_t unparseable_blocks = 0);

}  // namespace ctmr::testing

#endif  // CT_TESTS_FETCHER_FETCH_SCALE_HARNESS_H_
