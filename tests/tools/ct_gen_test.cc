// Tests for ct-gen. The heart is an independent recount: a small reference
// implementation of DESIGN.md section 3 on OpenSSL (d2i_X509, the SAN and CN
// accessors) and libpsl, run over the files ct-gen wrote, must reproduce the
// known answers exactly. It shares no code with ct-gen's answer bookkeeping.
#include <libpsl.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/wait.h>

#include <algorithm>
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
#include "tools/ct_gen/base64.h"
#include "tools/ct_gen/name_pool.h"

namespace {

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

struct Stats {
  uint64_t certs = 0;
  std::set<std::string> fqdns, regdomains, wildcards;
  Json ToJson() const {
    return {{"certs_active", certs},
            {"fqdns_active", fqdns.size()},
            {"regdomains_active", regdomains.size()},
            {"wildcards_active", wildcards.size()}};
  }
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

  void Run(const fs::path& root, const std::string& as_of_date, int window) {
    as_of = as_of_date;
    window_days = window;
    LoadIssuers(root);
    for (const auto& d : fs::directory_iterator(root)) {
      std::string dir = d.path().filename().string();
      if (!d.is_directory() || !IsDateDir(dir)) continue;
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
// counted by hand from edge_cases.cc (35 certificates, 2 of them expired).
TEST(CtGen, EdgeCasesAloneHaveHandCountedAnswers) {
  fs::path root = TempRoot("edge_only");
  ASSERT_EQ(RunGen("--out " + root.string() + " --certs 0 --as-of 2026-11-26 --edge-cases"), 0);
  Json a = ReadJson(root / "known-answers.json");
  EXPECT_EQ(a["totals"], Json({{"certs_active", 33},
                               {"fqdns_active", 41},
                               {"regdomains_active", 10},
                               {"wildcards_active", 3}}));
  EXPECT_EQ(a["certificates_written"], 35);
  EXPECT_EQ(a["errors"]["unparseable_blocks"], 9);
  EXPECT_EQ(a["directories"]["active"], 6);
  Json days = Json::array();
  for (const auto& [d, n] : std::vector<std::pair<std::string, int>>{{"1999-12-31", 1},
                                                                     {"2026-08-25", 2},
                                                                     {"2026-08-28", 26},
                                                                     {"2026-08-29", 1},
                                                                     {"2026-09-02", 2},
                                                                     {"2049-10-03", 2},
                                                                     {"2050-07-01", 1}}) {
    days.push_back({{"date", d}, {"certs_issued", n}});
  }
  EXPECT_EQ(a["issued_per_day"], days);
  for (const Json& o : a["organizations"]) {
    if (o["organization"] == "Let's Encrypt") {
      EXPECT_EQ(o["certs_active"], 22);
      EXPECT_EQ(o["wildcards_active"], 2);
    }
  }
  Recount r;
  ExpectAnswersMatchRecount(root, "2026-11-26", 0, &r);
  fs::remove_all(root);
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
