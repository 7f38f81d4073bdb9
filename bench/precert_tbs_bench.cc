// precert_tbs against the OpenSSL path it replaces in ct-fetch, on the 512
// real precertificate entries of the Navigli data tiles: ns per entry for the
// poison removal, for the whole check and for the issuer's key, each way.
//
// Usage: precert_tbs_bench [ROUNDS] [THREADS]   (default 200 rounds, 1 thread)
// Run from the source root (or with CT_SOURCE_DIR set). With THREADS > 1 each
// thread runs all rounds at once: OpenSSL's decoder takes shared locks.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "common/x509/openssl_precert_tbs.h"
#include "common/x509/precert_tbs.h"
#include "fetcher/verify/log_entry.h"

namespace {

std::string ReadFile(const std::string& relative) {
  const char* root = std::getenv("CT_SOURCE_DIR");
  std::ifstream in((root != nullptr ? std::string(root) + "/" : std::string()) + relative,
                   std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string Hex(const std::string& s) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : s) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 15]);
  }
  return out;
}

struct Entry {
  std::string precert, tbs, issuer;
};

// Runs `body` over every entry `rounds` times on each of `threads` threads;
// returns wall-clock ns per entry and thread.
double Time(const std::vector<Entry>& entries, int rounds, int threads,
            const std::function<void(const Entry&, std::string*)>& body) {
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> workers;
  workers.reserve(static_cast<size_t>(threads));
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&] {
      std::string scratch;
      for (int r = 0; r < rounds; ++r) {
        for (const Entry& e : entries) body(e, &scratch);
      }
    });
  }
  for (std::thread& w : workers) w.join();
  const double ns =
      std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - start).count();
  return ns / (static_cast<double>(rounds) * static_cast<double>(entries.size()));
}

void Must(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "precert_tbs_bench: %s\n", what);
    std::exit(1);
  }
}

}  // namespace

int main(int argc, char** argv) {
  namespace x509 = ctmr::x509;
  const int rounds = argc > 1 ? std::atoi(argv[1]) : 200;
  const int threads = argc > 2 ? std::atoi(argv[2]) : 1;
  std::vector<Entry> entries;
  for (const char* tile : {"000", "001"}) {
    const std::string data = ReadFile(std::string("tests/data/ct/navigli2025h2/tile/data/") + tile);
    absl::StatusOr<std::vector<ctmr::verify::LogEntry>> parsed =
        ctmr::verify::ParseDataTile(data, 256);
    Must(parsed.ok(), "cannot read the Navigli tiles (run from the source root)");
    for (ctmr::verify::LogEntry& e : *parsed) {
      std::string issuer =
          ReadFile("tests/data/ct/navigli2025h2/issuer/" + Hex(e.chain_fingerprints.at(0)));
      entries.push_back(
          {std::move(e.certificate), std::move(e.tbs_certificate), std::move(issuer)});
    }
  }
  // Both ways must agree before either is timed.
  std::string a, b;
  for (const Entry& e : entries) {
    Must(x509::RemovePoisonToTbs(e.precert, &a).ok() && e.tbs == a, "fast path disagrees");
    Must(x509::RemovePoisonToTbsWithOpenSsl(e.precert, &b).ok() && e.tbs == b, "OpenSSL disagrees");
  }

  const double fast = Time(entries, rounds, threads, [](const Entry& e, std::string* s) {
    Must(x509::RemovePoisonToTbs(e.precert, s).ok(), "RemovePoisonToTbs");
  });
  const double slow = Time(entries, rounds, threads, [](const Entry& e, std::string* s) {
    Must(x509::RemovePoisonToTbsWithOpenSsl(e.precert, s).ok(), "OpenSSL");
  });
  const double check = Time(entries, rounds, threads, [](const Entry& e, std::string* s) {
    Must(x509::CheckPrecertificateTbs(e.precert, e.tbs, e.issuer, s).ok(), "check");
  });
  const double spki = Time(entries, rounds, threads, [](const Entry& e, std::string*) {
    Must(x509::SubjectPublicKeyInfoDer(e.issuer).ok(), "SubjectPublicKeyInfoDer");
  });
  const double spki_slow = Time(entries, rounds, threads, [](const Entry& e, std::string*) {
    Must(x509::SubjectPublicKeyInfoDerWithOpenSsl(e.issuer).ok(), "OpenSSL SPKI");
  });
  std::printf("%zu precertificates x %d rounds, %d thread(s); ns per entry and thread\n",
              entries.size(), rounds, threads);
  std::printf("poison removal    fast %8.0f   OpenSSL %8.0f   ratio %5.1fx\n", fast, slow,
              slow / fast);
  std::printf("whole check       fast %8.0f\n", check);
  std::printf("issuer SPKI       fast %8.0f   OpenSSL %8.0f   ratio %5.1fx\n", spki, spki_slow,
              spki_slow / spki);
  return 0;
}
