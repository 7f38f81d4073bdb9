// Tests for ct-gen. The heart is an independent recount: a small reference
// implementation of DESIGN.md section 3 on OpenSSL (d2i_X509, the SAN and CN
// accessors, the public key and certificatePolicies decoders) and libpsl, run
// over the files ct-gen wrote, must reproduce the known answers exactly. It
// shares no code with ct-gen's answer bookkeeping or its class tables.
#include <libpsl.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/wait.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/tools/openssl_classes.h"
#include "tools/ct_gen/base64.h"
#include "tools/ct_gen/name_pool.h"

namespace {

using ::ct_gen_test::KeyClass;
using ::ct_gen_test::LifetimeClass;
using ::ct_gen_test::Seconds;
using ::ct_gen_test::ValidationClass;
namespace fs = std::filesystem;
using Json = nlohmann::json;

std::string BinDir() {
  const char* d = std::getenv("CT_BIN_DIR");
  return d ? d : "build/bin";
}

fs::path TempRoot(const std::string& name) {
  fs::path p =
      fs::temp_directory_path() / ("ct_gen_test_" + std::to_string(::getpid()) + "_" + name);
  fs::remove_all(p);
  return p;
}

int RunGen(const std::string& args) {
  std::string cmd = BinDir() + "/ct-gen " + args + " 2>/dev/null";
  int rc = std::system(cmd.c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Json ReadJson(const fs::path& p) { return Json::parse(ReadFile(p)); }

bool IsDateDir(const std::string& name) {
  if (name.size() != 10 || name[4] != '-' || name[7] != '-') return false;
  for (int i : {0, 1, 2, 3, 5, 6, 8, 9}) {
    if (name[i] < '0' || name[i] > '9') return false;
  }
  struct tm tm = {};
  tm.tm_year = std::stoi(name.substr(0, 4)) - 1900;
  tm.tm_mon = std::stoi(name.substr(5, 2)) - 1;
  tm.tm_mday = std::stoi(name.substr(8, 2));
  time_t t = timegm(&tm);
  struct tm back;
  gmtime_r(&t, &back);
  return back.tm_year == tm.tm_year && back.tm_mon == tm.tm_mon &&
         back.tm_mday == std::stoi(name.substr(8, 2));
}

std::string DayOf(const ASN1_TIME* t) {
  struct tm tm;
  ASN1_TIME_to_tm(t, &tm);
  char buf[16];
  std::strftime(buf, sizeof buf, "%Y-%m-%d", &tm);
  return buf;
}

// DESIGN.md 3: lowercase, drop one trailing dot, keep if valid.
bool NormalizeFqdn(std::string name, std::string* out) {
  for (char& c : name) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  if (!name.empty() && name.back() == '.') name.pop_back();
  if (name.empty() || name.size() > 253) return false;
  std::string rest = name.rfind("*.", 0) == 0 ? name.substr(2) : name;
  std::vector<std::string> labels;
  size_t start = 0;
  while (true) {
    size_t dot = rest.find('.', start);
    labels.push_back(
        rest.substr(start, dot == std::string::npos ? std::string::npos : dot - start));
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  if (labels.size() < 2) return false;
  bool all_numeric = labels.size() == 4;
  for (const std::string& l : labels) {
    if (l.empty() || l.size() > 63) return false;
    for (char c : l) {
      bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
      if (!ok) return false;
      if (c < '0' || c > '9') all_numeric = false;
    }
  }
  if (all_numeric && name == rest) return false;  // an IPv4 literal
  *out = name;
  return true;
}

const psl_ctx_t* Psl() {
  static const psl_ctx_t* psl = psl_latest(nullptr);
  return psl;
}

std::string RegisteredDomain(const std::string& fqdn) {
  std::string base = fqdn.rfind("*.", 0) == 0 ? fqdn.substr(2) : fqdn;
  const char* rd = psl_registrable_domain(Psl(), base.c_str());
  return rd ? rd : "";
}

// The breakdown classes of DESIGN.md 3.1, in the order the answers list them.
const std::vector<std::string> kLifetimeNames = {"<=7d",     "8-47d",    "48-100d",
                                                 "101-200d", "201-398d", ">398d"};
const std::vector<std::string> kKeyNames = {"RSA-2048",   "RSA-3072",   "RSA-4096",
                                            "RSA-other",  "ECDSA-P256", "ECDSA-P384",
                                            "ECDSA-P521", "Ed25519",    "other"};
const std::vector<std::string> kValidationNames = {"EV", "IV", "OV", "DV", "unknown"};
// Lifetimes (notAfter - notBefore + 1 s) at and just past each class bound.
constexpr int64_t kDay = 86400;
const std::vector<int64_t> kLifetimeEdges = {160 * 3600,     7 * kDay,   7 * kDay + 1,   47 * kDay,
                                             47 * kDay + 1,  100 * kDay, 100 * kDay + 1, 200 * kDay,
                                             200 * kDay + 1, 398 * kDay, 398 * kDay + 1};

template <size_t N>
Json ClassCounts(const std::vector<std::string>& names, const std::array<uint64_t, N>& counts) {
  Json j = Json::object();
  for (size_t c = 0; c < N; ++c) j[names[c]] = counts[c];
  return j;
}

int64_t DayNumber(const std::string& date) {
  struct tm tm = {};
  strptime(date.c_str(), "%Y-%m-%d", &tm);
  return static_cast<int64_t>(timegm(&tm)) / kDay;
}

std::string DateOf(int64_t day) {
  time_t t = static_cast<time_t>(day * kDay);
  struct tm tm;
  gmtime_r(&t, &tm);
  char buf[16];
  std::strftime(buf, sizeof buf, "%Y-%m-%d", &tm);
  return buf;
}

struct Classes {
  std::array<uint64_t, 6> lifetime{};
  std::array<uint64_t, 9> key{};
  std::array<uint64_t, 5> validation{};
  Json ToJson() const {
    return {{"lifetime", ClassCounts(kLifetimeNames, lifetime)},
            {"key", ClassCounts(kKeyNames, key)},
            {"validation", ClassCounts(kValidationNames, validation)}};
  }
  bool AllPresent() const {
    for (uint64_t n : lifetime) {
      if (n == 0) return false;
    }
    for (uint64_t n : key) {
      if (n == 0) return false;
    }
    for (uint64_t n : validation) {
      if (n == 0) return false;
    }
    return true;
  }
};

struct Stats {
  uint64_t certs = 0;
  std::set<std::string> fqdns, regdomains, wildcards;
  Classes classes;
  Json ToJson() const {
    return {{"certs_active", certs},
            {"fqdns_active", fqdns.size()},
            {"regdomains_active", regdomains.size()},
            {"wildcards_active", wildcards.size()},
            {"breakdowns", classes.ToJson()}};
  }
};

// One distinct certificate, as the history needs it.
struct CertDays {
  int64_t dir_day;
  int64_t issued_day;
  int lifetime;
};

// The reference recount of a data root.
struct Recount {
  std::string as_of;
  int window_days = 0;
  std::map<std::string, std::string> issuer_name, issuer_org;  // by issuer id
  std::map<std::string, Stats> by_issuer, by_org;
  Stats total;
  std::set<std::string> seen;  // dir|issuer|serial
  std::set<std::string> active_dirs;
  std::map<std::string, uint64_t> issued;
  std::map<std::pair<std::string, std::string>, uint64_t> issued_by_issuer;
  std::map<std::string, std::array<uint64_t, 6>> issued_by_lifetime;
  std::vector<CertDays> cert_days;
  std::set<std::string> date_dirs;
  Classes all_classes;                 // of every distinct certificate, active or not
  std::set<int64_t> lifetime_seconds;  // every lifetime seen
  uint64_t undecodable_keys = 0;
  uint64_t unparseable = 0;
  uint64_t certs = 0;
  std::map<int, uint64_t> time_types;  // V_ASN1_UTCTIME / V_ASN1_GENERALIZEDTIME of notAfter
  std::vector<size_t> der_sizes;

  bool Active(const std::string& dir) const {
    if (dir < as_of) return false;
    if (window_days == 0) return true;
    struct tm tm = {};
    strptime(as_of.c_str(), "%Y-%m-%d", &tm);
    time_t end = timegm(&tm) + static_cast<time_t>(window_days) * 86400;
    struct tm e;
    gmtime_r(&end, &e);
    char buf[16];
    std::strftime(buf, sizeof buf, "%Y-%m-%d", &e);
    return dir < std::string(buf);
  }

  void LoadIssuers(const fs::path& root) {
    for (const auto& e : fs::directory_iterator(root / "issuers")) {
      std::string pem = ReadFile(e.path());
      BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
      X509* x = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
      BIO_free(bio);
      ASSERT_NE(x, nullptr) << e.path();
      unsigned char* spki = nullptr;
      int len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &spki);
      unsigned char md[SHA256_DIGEST_LENGTH];
      SHA256(spki, static_cast<size_t>(len), md);
      OPENSSL_free(spki);
      std::string id = ctgen::Base64UrlNoPad(std::string(reinterpret_cast<char*>(md), 32));
      EXPECT_EQ(id, e.path().stem().string());
      BIO* out = BIO_new(BIO_s_mem());
      X509_NAME_print_ex(out, X509_get_subject_name(x), 0, XN_FLAG_RFC2253);
      char* data;
      long n = BIO_get_mem_data(out, &data);
      issuer_name[id] = std::string(data, static_cast<size_t>(n));
      BIO_free(out);
      char org[256];
      int olen = X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_organizationName, org,
                                           sizeof org);
      issuer_org[id] = olen > 0 ? std::string(org, static_cast<size_t>(olen)) : issuer_name[id];
      X509_free(x);
    }
  }

  void AddCert(const std::string& dir, const std::string& issuer, const std::string& der) {
    der_sizes.push_back(der.size());
    const auto* p = reinterpret_cast<const unsigned char*>(der.data());
    X509* x = d2i_X509(nullptr, &p, static_cast<long>(der.size()));
    if (!x || p != reinterpret_cast<const unsigned char*>(der.data()) + der.size()) {
      X509_free(x);
      ++unparseable;
      return;
    }
    const ASN1_INTEGER* serial = X509_get0_serialNumber(x);
    std::string key = dir + "|" + issuer + "|" +
                      std::string(reinterpret_cast<const char*>(serial->data), serial->length) +
                      (serial->type == V_ASN1_NEG_INTEGER ? "-" : "+");
    if (!seen.insert(key).second) {
      X509_free(x);
      return;
    }
    ++certs;
    ++time_types[X509_get0_notAfter(x)->type];
    std::string day = DayOf(X509_get0_notBefore(x));
    ++issued[day];
    ++issued_by_issuer[{day, issuer}];
    const int64_t seconds = Seconds(X509_get0_notAfter(x)) - Seconds(X509_get0_notBefore(x)) + 1;
    const int lifetime = LifetimeClass(seconds);
    const int key_class = KeyClass(x);
    const int validation = ValidationClass(x);
    if (key_class < 0) {
      ++undecodable_keys;
      X509_free(x);
      return;
    }
    lifetime_seconds.insert(seconds);
    ++issued_by_lifetime[day][lifetime];
    cert_days.push_back({DayNumber(dir), DayNumber(day), lifetime});
    ++all_classes.lifetime[lifetime];
    ++all_classes.key[key_class];
    ++all_classes.validation[validation];
    if (Active(dir)) {
      active_dirs.insert(dir);
      std::vector<std::string> raw;
      auto* sans =
          static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(x, NID_subject_alt_name, nullptr, nullptr));
      for (int i = 0; i < sk_GENERAL_NAME_num(sans); ++i) {
        const GENERAL_NAME* g = sk_GENERAL_NAME_value(sans, i);
        if (g->type != GEN_DNS) continue;
        raw.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(g->d.dNSName)),
                         static_cast<size_t>(ASN1_STRING_length(g->d.dNSName)));
      }
      GENERAL_NAMES_free(sans);
      X509_NAME* subject = X509_get_subject_name(x);
      for (int pos = -1; (pos = X509_NAME_get_index_by_NID(subject, NID_commonName, pos)) >= 0;) {
        unsigned char* utf8 = nullptr;
        int n =
            ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, pos)));
        raw.emplace_back(n > 0 ? std::string(reinterpret_cast<char*>(utf8), n) : std::string());
        OPENSSL_free(utf8);
      }
      for (Stats* s : {&by_issuer[issuer], &by_org[issuer_org[issuer]], &total}) {
        ++s->certs;
        ++s->classes.lifetime[lifetime];
        ++s->classes.key[key_class];
        ++s->classes.validation[validation];
        for (const std::string& r : raw) {
          std::string fqdn;
          if (!NormalizeFqdn(r, &fqdn)) continue;
          s->fqdns.insert(fqdn);
          if (fqdn.rfind("*.", 0) == 0) s->wildcards.insert(fqdn);
          std::string rd = RegisteredDomain(fqdn);
          if (!rd.empty()) s->regdomains.insert(rd);
        }
      }
    }
    X509_free(x);
  }

  void ReadPem(const std::string& dir, const std::string& issuer, const std::string& text) {
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
      if (line.rfind("-----BEGIN ", 0) != 0) continue;
      std::string label = line.substr(11, line.size() - 16);
      std::string end = "-----END " + label + "-----";
      std::string body;
      bool complete = false, in_headers = true;
      while (std::getline(in, line)) {
        if (line == end) {
          complete = true;
          break;
        }
        if (in_headers && line.find(':') != std::string::npos) continue;
        in_headers = false;
        body += line;
      }
      if (!complete) return;  // half-written: read next time
      if (label != "CERTIFICATE") {
        ++unparseable;
        continue;
      }
      std::string der(body.size() / 4 * 3 + 3, '\0');
      int n = body.size() % 4 ? -1
                              : EVP_DecodeBlock(reinterpret_cast<unsigned char*>(der.data()),
                                                reinterpret_cast<const unsigned char*>(body.data()),
                                                static_cast<int>(body.size()));
      if (n < 0) {
        ++unparseable;
        continue;
      }
      size_t pad = 0;
      for (size_t i = body.size(); i > 0 && body[i - 1] == '='; --i) ++pad;
      der.resize(static_cast<size_t>(n) - pad);
      AddCert(dir, issuer, der);
    }
  }

  // For each day X from the earliest date directory through as-of: the
  // certificates of directories D >= X (and D < X + window) issued by X, by
  // lifetime class. The plain definition, one pass per day.
  Json LifetimeHistory() const {
    Json out = Json::array();
    if (date_dirs.empty()) return out;
    for (int64_t x = DayNumber(*date_dirs.begin()); x <= DayNumber(as_of); ++x) {
      std::array<uint64_t, 6> counts{};
      for (const CertDays& c : cert_days) {
        if (c.dir_day >= x && (window_days == 0 || c.dir_day < x + window_days) &&
            c.issued_day <= x) {
          ++counts[c.lifetime];
        }
      }
      out.push_back({{"date", DateOf(x)}, {"lifetime", ClassCounts(kLifetimeNames, counts)}});
    }
    return out;
  }

  void Run(const fs::path& root, const std::string& as_of_date, int window) {
    as_of = as_of_date;
    window_days = window;
    LoadIssuers(root);
    for (const auto& d : fs::directory_iterator(root)) {
      std::string dir = d.path().filename().string();
      if (!d.is_directory() || !IsDateDir(dir)) continue;
      date_dirs.insert(dir);
      for (const auto& f : fs::directory_iterator(d.path())) {
        std::string ext = f.path().extension().string();
        std::string stem = f.path().stem().string();
        std::string data = ReadFile(f.path());
        if (ext == ".pem") {
          ReadPem(dir, stem, data);
        } else if (ext == ".cer") {
          const auto* p = reinterpret_cast<const unsigned char*>(data.data());
          const auto* end = p + data.size();
          while (p < end) {
            const unsigned char* start = p;
            X509* x = d2i_X509(nullptr, &p, end - p);
            ASSERT_NE(x, nullptr) << f.path();
            X509_free(x);
            AddCert(dir, stem, std::string(reinterpret_cast<const char*>(start), p - start));
          }
        }
      }
      if (Active(dir)) active_dirs.insert(dir);
    }
  }
};

// Compares the known answers of `root` with a recount.
void ExpectAnswersMatchRecount(const fs::path& root, const std::string& as_of, int window,
                               Recount* recount) {
  Json a = ReadJson(root / "known-answers.json");
  recount->Run(root, as_of, window);
  EXPECT_EQ(a["as_of"], as_of);
  EXPECT_EQ(a["window_days"], window);
  EXPECT_EQ(a["directories"]["active"], recount->active_dirs.size());
  EXPECT_EQ(a["totals"], recount->total.ToJson());
  EXPECT_EQ(a["errors"]["unparseable_blocks"], recount->unparseable);
  EXPECT_EQ(a["certificates_written"], recount->certs);
  ASSERT_EQ(a["issuers"].size(), recount->issuer_name.size());
  for (const Json& i : a["issuers"]) {
    std::string id = i["issuer_id"];
    EXPECT_EQ(i["issuer_name"], recount->issuer_name[id]);
    EXPECT_EQ(i["organization"], recount->issuer_org[id]);
    Json expected = recount->by_issuer[id].ToJson();
    for (const char* k :
         {"certs_active", "fqdns_active", "regdomains_active", "wildcards_active"}) {
      EXPECT_EQ(i[k], expected[k]) << id << " " << k;
    }
  }
  for (const Json& o : a["organizations"]) {
    Json expected = recount->by_org[o["organization"]].ToJson();
    for (const char* k :
         {"certs_active", "fqdns_active", "regdomains_active", "wildcards_active"}) {
      EXPECT_EQ(o[k], expected[k]) << o["organization"] << " " << k;
    }
  }
  Json per_day = Json::array();
  for (const auto& [day, n] : recount->issued)
    per_day.push_back({{"date", day}, {"certs_issued", n}});
  EXPECT_EQ(a["issued_per_day"], per_day);
  Json per_issuer = Json::array();
  for (const auto& [key, n] : recount->issued_by_issuer) {
    per_issuer.push_back({{"date", key.first}, {"issuer_id", key.second}, {"certs_issued", n}});
  }
  EXPECT_EQ(a["issued_per_day_by_issuer"], per_issuer);

  EXPECT_EQ(recount->undecodable_keys, 0u);
  for (const Json& i : a["issuers"]) {
    std::string id = i["issuer_id"];
    EXPECT_EQ(i["breakdowns"], recount->by_issuer[id].classes.ToJson()) << id;
  }
  for (const Json& o : a["organizations"]) {
    EXPECT_EQ(o["breakdowns"], recount->by_org[o["organization"]].classes.ToJson())
        << o["organization"];
  }
  Json per_day_lifetime = Json::array();
  for (const auto& [day, counts] : recount->issued_by_lifetime) {
    per_day_lifetime.push_back({{"date", day}, {"lifetime", ClassCounts(kLifetimeNames, counts)}});
  }
  EXPECT_EQ(a["issued_per_day_by_lifetime"], per_day_lifetime);
  const Json history = recount->LifetimeHistory();
  EXPECT_EQ(a["lifetime_active_history"], history);
  // Before as-of, the lifetime classes split certs_active_history exactly;
  // the history stops the day before as-of, the lifetime history on it.
  const Json& active_history = a["certs_active_history"];
  if (!active_history.empty()) {
    ASSERT_EQ(active_history.size() + 1, a["lifetime_active_history"].size());
  }
  for (size_t d = 0; d < active_history.size(); ++d) {
    const Json& row = a["lifetime_active_history"][d];
    EXPECT_EQ(row["date"], active_history[d]["date"]);
    uint64_t sum = 0;
    for (const auto& [name, n] : row["lifetime"].items()) sum += n.get<uint64_t>();
    EXPECT_EQ(sum, active_history[d]["certs_active"]) << row["date"];
  }
}

TEST(CtGen, EdgeCasesMatchIndependentRecount) {
  fs::path root = TempRoot("edge");
  ASSERT_EQ(RunGen("--out " + root.string() +
                   " --certs 3000 --seed 11 --as-of 2026-11-26 --days 60 --edge-cases"),
            0);
  Recount r;
  ExpectAnswersMatchRecount(root, "2026-11-26", 0, &r);
  EXPECT_EQ(r.unparseable, 9u);
  EXPECT_GT(r.time_types[V_ASN1_UTCTIME], 0u);
  EXPECT_EQ(r.time_types[V_ASN1_GENERALIZEDTIME], 2u);  // 2050-01-01 and 2051-06-30
  EXPECT_TRUE(r.issued.count("1999-12-31"));
  fs::remove_all(root);
}

// With no regular certificates, the edge cases alone: every number below was
// counted by hand from edge_cases.cc (46 certificates, 2 of them expired; the
// last 11 are the breakdown cases, all active).
TEST(CtGen, EdgeCasesAloneHaveHandCountedAnswers) {
  fs::path root = TempRoot("edge_only");
  ASSERT_EQ(RunGen("--out " + root.string() + " --certs 0 --as-of 2026-11-26 --edge-cases"), 0);
  Json a = ReadJson(root / "known-answers.json");
  Json totals = a["totals"];
  totals.erase("breakdowns");
  EXPECT_EQ(totals, Json({{"certs_active", 44},
                          {"fqdns_active", 52},
                          {"regdomains_active", 10},
                          {"wildcards_active", 3}}));
  // 31 of the older active cases are 90-day; far-future is 365 days and
  // long-lived 27 years. The E5 and E6 cases have the issuers' P-256 key.
  EXPECT_EQ(a["totals"]["breakdowns"], Json::parse(R"({
    "lifetime": {"<=7d": 2, "8-47d": 2, "48-100d": 33, "101-200d": 2, "201-398d": 3, ">398d": 2},
    "key": {"RSA-2048": 30, "RSA-3072": 1, "RSA-4096": 1, "RSA-other": 1, "ECDSA-P256": 6,
            "ECDSA-P384": 1, "ECDSA-P521": 1, "Ed25519": 1, "other": 2},
    "validation": {"EV": 3, "IV": 1, "OV": 3, "DV": 35, "unknown": 2}})"));
  EXPECT_EQ(a["certificates_written"], 46);
  EXPECT_EQ(a["errors"]["unparseable_blocks"], 9);
  EXPECT_EQ(a["directories"]["active"], 6);
  Json days = Json::array();
  for (const auto& [d, n] : std::vector<std::pair<std::string, int>>{{"1999-12-31", 1},
                                                                     {"2025-10-24", 2},
                                                                     {"2026-05-10", 2},
                                                                     {"2026-08-18", 2},
                                                                     {"2026-08-25", 2},
                                                                     {"2026-08-28", 26},
                                                                     {"2026-08-29", 1},
                                                                     {"2026-09-02", 2},
                                                                     {"2026-10-10", 2},
                                                                     {"2026-11-19", 3},
                                                                     {"2049-10-03", 2},
                                                                     {"2050-07-01", 1}}) {
    days.push_back({{"date", d}, {"certs_issued", n}});
  }
  EXPECT_EQ(a["issued_per_day"], days);
  // 160 h, 7 d and 7 d + 1 s before noon of as-of all fall on 2026-11-19.
  for (const Json& d : a["issued_per_day_by_lifetime"]) {
    if (d["date"] == "2026-11-19") {
      EXPECT_EQ(d["lifetime"], Json({{"<=7d", 2},
                                     {"8-47d", 1},
                                     {"48-100d", 0},
                                     {"101-200d", 0},
                                     {"201-398d", 0},
                                     {">398d", 0}}));
    }
  }
  for (const Json& o : a["organizations"]) {
    if (o["organization"] == "Let's Encrypt") {
      EXPECT_EQ(o["certs_active"], 27);
      EXPECT_EQ(o["wildcards_active"], 2);
    }
  }
  Recount r;
  ExpectAnswersMatchRecount(root, "2026-11-26", 0, &r);
  fs::remove_all(root);
}

// DESIGN.md 3.1: a small clean corpus and the edge cases alone each have
// every lifetime, key and validation class, among all their certificates and
// among the active ones, and every lifetime at a class edge; the answers list
// every class, in the documented order.
TEST(CtGen, EveryBreakdownClassAndLifetimeEdgeIsPresent) {
  for (const std::string args :
       {"--certs 1000 --seed 21 --as-of 2026-11-26", "--certs 0 --as-of 2026-11-26 --edge-cases"}) {
    SCOPED_TRACE(args);
    fs::path root = TempRoot("classes");
    ASSERT_EQ(RunGen("--out " + root.string() + " " + args), 0);
    Recount r;
    ExpectAnswersMatchRecount(root, "2026-11-26", 0, &r);
    EXPECT_TRUE(r.all_classes.AllPresent()) << r.all_classes.ToJson().dump();
    EXPECT_TRUE(r.total.classes.AllPresent()) << r.total.classes.ToJson().dump();
    for (int64_t edge : kLifetimeEdges) EXPECT_TRUE(r.lifetime_seconds.count(edge)) << edge;
    auto ordered = nlohmann::ordered_json::parse(ReadFile(root / "known-answers.json"));
    const auto& b = ordered["totals"]["breakdowns"];
    std::vector<std::string> kinds, lifetimes, keys, validations;
    for (const auto& [k, v] : b.items()) kinds.push_back(k);
    for (const auto& [k, v] : b["lifetime"].items()) lifetimes.push_back(k);
    for (const auto& [k, v] : b["key"].items()) keys.push_back(k);
    for (const auto& [k, v] : b["validation"].items()) validations.push_back(k);
    EXPECT_EQ(kinds, std::vector<std::string>({"lifetime", "key", "validation"}));
    EXPECT_EQ(lifetimes, kLifetimeNames);
    EXPECT_EQ(keys, kKeyNames);
    EXPECT_EQ(validations, kValidationNames);
    fs::remove_all(root);
  }
}

TEST(CtGen, WindowDaysMatchesRecount) {
  fs::path root = TempRoot("window");
  ASSERT_EQ(RunGen("--out " + root.string() +
                   " --certs 2000 --seed 12 --as-of 2026-03-01 --window-days 30 --edge-cases"),
            0);
  Recount r;
  ExpectAnswersMatchRecount(root, "2026-03-01", 30, &r);
  fs::remove_all(root);
}

TEST(CtGen, CleanCorpusMatchesRecountAndLooksReal) {
  fs::path root = TempRoot("clean");
  ASSERT_EQ(RunGen("--out " + root.string() +
                   " --certs 5000 --seed 13 --as-of 2026-11-26 --first-date 2026-11-01 --days 50"),
            0);
  Recount r;
  ExpectAnswersMatchRecount(root, "2026-11-26", 0, &r);
  EXPECT_EQ(r.unparseable, 0u);
  EXPECT_EQ(r.certs, 5000u);
  EXPECT_FALSE(fs::exists(root / "2026-13-45"));
  std::sort(r.der_sizes.begin(), r.der_sizes.end());
  size_t median = r.der_sizes[r.der_sizes.size() / 2];
  EXPECT_GE(median, 1000u);
  EXPECT_LE(median, 1600u);
  EXPECT_GT(r.total.wildcards.size(), 0u);
  EXPECT_LT(r.total.regdomains.size(), r.total.fqdns.size());
  fs::remove_all(root);
}

std::map<std::string, std::string> TreeContents(const fs::path& root) {
  std::map<std::string, std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(root)) {
    if (e.is_regular_file()) out[fs::relative(e.path(), root).string()] = ReadFile(e.path());
  }
  return out;
}

TEST(CtGen, SameSeedSameBytes) {
  fs::path a = TempRoot("same_a"), b = TempRoot("same_b"), c = TempRoot("same_c");
  const std::string args = " --certs 500 --as-of 2026-11-26 --edge-cases";
  ASSERT_EQ(RunGen("--out " + a.string() + " --seed 5" + args), 0);
  ASSERT_EQ(RunGen("--out " + b.string() + " --seed 5" + args), 0);
  ASSERT_EQ(RunGen("--out " + c.string() + " --seed 6" + args), 0);
  auto ta = TreeContents(a);
  EXPECT_TRUE(ta == TreeContents(b));
  EXPECT_FALSE(ta == TreeContents(c));
  for (const fs::path& p : {a, b, c}) fs::remove_all(p);
}

TEST(CtGen, AnswersAreSelfConsistent) {
  fs::path root = TempRoot("consistent");
  ASSERT_EQ(
      RunGen("--out " + root.string() + " --certs 4000 --seed 9 --as-of 2026-11-26 --edge-cases"),
      0);
  Json a = ReadJson(root / "known-answers.json");
  uint64_t certs = 0, issued = 0;
  for (const Json& o : a["organizations"]) certs += o["certs_active"].get<uint64_t>();
  EXPECT_EQ(certs, a["totals"]["certs_active"]);
  for (const char* k : {"fqdns_active", "regdomains_active", "wildcards_active"}) {
    uint64_t sum = 0;
    for (const Json& i : a["issuers"]) {
      EXPECT_LE(i[k].get<uint64_t>(), a["totals"][k].get<uint64_t>()) << k;
      sum += i[k].get<uint64_t>();
    }
    EXPECT_GE(sum, a["totals"][k].get<uint64_t>()) << k;
  }
  for (const Json& d : a["issued_per_day"]) issued += d["certs_issued"].get<uint64_t>();
  EXPECT_EQ(issued, a["certificates_written"]);
  // Each kind of breakdown partitions certs_active.
  std::vector<const Json*> groups = {&a["totals"]};
  for (const Json& i : a["issuers"]) groups.push_back(&i);
  for (const Json& o : a["organizations"]) groups.push_back(&o);
  for (const Json* g : groups) {
    for (const char* kind : {"lifetime", "key", "validation"}) {
      uint64_t sum = 0;
      for (const auto& [name, n] : (*g)["breakdowns"][kind].items()) sum += n.get<uint64_t>();
      EXPECT_EQ(sum, (*g)["certs_active"]) << kind;
    }
  }
  ASSERT_EQ(a["issued_per_day_by_lifetime"].size(), a["issued_per_day"].size());
  for (size_t d = 0; d < a["issued_per_day"].size(); ++d) {
    const Json& row = a["issued_per_day_by_lifetime"][d];
    EXPECT_EQ(row["date"], a["issued_per_day"][d]["date"]);
    uint64_t sum = 0;
    for (const auto& [name, n] : row["lifetime"].items()) sum += n.get<uint64_t>();
    EXPECT_EQ(sum, a["issued_per_day"][d]["certs_issued"]) << row["date"];
  }
  // On as-of: the active certificates issued by then, at most certs_active.
  const Json& last = a["lifetime_active_history"].back();
  EXPECT_EQ(last["date"], "2026-11-26");
  uint64_t on_as_of = 0;
  for (const auto& [name, n] : last["lifetime"].items()) on_as_of += n.get<uint64_t>();
  EXPECT_LE(on_as_of, a["totals"]["certs_active"].get<uint64_t>());
  EXPECT_GT(on_as_of, 0u);
  fs::remove_all(root);
}

TEST(CtGen, EdgeCaseFilesArePresent) {
  fs::path root = TempRoot("files");
  ASSERT_EQ(
      RunGen("--out " + root.string() + " --certs 300 --seed 3 --as-of 2026-11-26 --edge-cases"),
      0);
  fs::path day = root / "2026-11-26";
  EXPECT_TRUE(fs::exists(day / "notes.txt"));
  EXPECT_TRUE(fs::exists(root / "README.txt"));
  for (const char* d : {"2026-13-45", "2026-02-30", "tmp", "state", "issuers"}) {
    EXPECT_TRUE(fs::is_directory(root / d)) << d;
  }
  int empty_pem = 0, half_written = 0, cer = 0;
  for (const auto& f : fs::directory_iterator(day)) {
    if (f.path().extension() == ".cer") ++cer;
    if (f.path().extension() != ".pem") continue;
    std::string text = ReadFile(f.path());
    if (text.empty()) ++empty_pem;
    if (text.rfind("-----BEGIN") > text.rfind("-----END") && text.back() == '\n') ++half_written;
    EXPECT_NE(text.find("Recorded-at: ") == std::string::npos,
              text.find("Log: https://") != std::string::npos);
  }
  EXPECT_EQ(empty_pem, 1);
  EXPECT_EQ(half_written, 1);
  EXPECT_GE(cer, 2);
  fs::remove_all(root);
}

TEST(CtGen, PoolRegisteredDomainsAgreeWithLibpsl) {
  ctgen::NamePool pool(200000, 42);
  std::vector<ctgen::PoolName> names;
  for (uint64_t site = 0; site < pool.sites(); site += 7) {
    pool.SiteNames(site, &names);
    ASSERT_FALSE(names.empty());
    for (const ctgen::PoolName& n : names) {
      std::string normalized;
      ASSERT_TRUE(NormalizeFqdn(n.text, &normalized)) << n.text;
      ASSERT_EQ(normalized, n.text);
      ASSERT_EQ(RegisteredDomain(n.text), pool.RegisteredDomain(n.regdomain_id)) << n.text;
      ASSERT_EQ(n.wildcard, n.text.rfind("*.", 0) == 0);
    }
  }
}

TEST(CtGen, BadUsageAndNonEmptyRoot) {
  fs::path root = TempRoot("usage");
  EXPECT_EQ(RunGen("--out " + root.string()), 2);  // --certs missing
  EXPECT_EQ(RunGen("--out " + root.string() + " --certs 5 --as-of 2026-02-30"), 2);
  EXPECT_EQ(RunGen("--out " + root.string() + " --certs 5 --clean --edge-cases"), 2);
  ASSERT_EQ(RunGen("--out " + root.string() + " --certs 5 --as-of 2026-11-26"), 0);
  EXPECT_EQ(RunGen("--out " + root.string() + " --certs 5 --as-of 2026-11-26"), 1);
  fs::remove_all(root);
}

}  // namespace
