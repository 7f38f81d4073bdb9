#include "tools/ct_gen/edge_cases.h"

#include <string>
#include <vector>

#include "tools/ct_gen/corpus.h"
#include "tools/ct_gen/dates.h"
#include "tools/ct_gen/der_writer.h"

namespace ctgen {
namespace {

// A name as the counting rules keep it: normalized FQDN and its registered
// domain ("" when libpsl has none).
struct Expected {
  std::string fqdn;
  std::string regdomain;
};

struct EdgeCert {
  int64_t dir_day;
  const char* issuer;
  LeafSpec spec;
  std::vector<Expected> expected;
  Placement placement;
};

std::string Serial(uint32_t v) {
  std::string s;
  do {
    s.insert(s.begin(), static_cast<char>(v & 0xff));
    v >>= 8;
  } while (v > 0);
  if (static_cast<uint8_t>(s[0]) & 0x80) s.insert(s.begin(), '\0');
  return s;
}

SubjectAttribute Cn(std::string value, uint8_t tag = der::kUtf8String) {
  return SubjectAttribute{"2.5.4.3", tag, std::move(value)};
}

std::string Utf16Be(const std::string& ascii) {
  std::string out;
  for (char c : ascii) {
    out.push_back('\0');
    out.push_back(c);
  }
  return out;
}

// A certificate expiring at noon of `dir_day`, valid 90 days.
EdgeCert Simple(int64_t dir_day, const char* issuer, uint32_t serial, std::vector<std::string> san,
                std::vector<Expected> expected) {
  EdgeCert c;
  c.dir_day = dir_day;
  c.issuer = issuer;
  c.spec.serial = Serial(serial);
  c.spec.not_after = dir_day * kSecondsPerDay + 12 * 3600;
  c.spec.not_before = c.spec.not_after - 90 * kSecondsPerDay + 1;
  if (!san.empty()) c.spec.subject.push_back(Cn(san[0]));
  c.spec.san_dns = std::move(san);
  c.expected = std::move(expected);
  return c;
}

std::string Repeat(char c, size_t n) { return std::string(n, c); }

std::vector<EdgeCert> EdgeCertificates(int64_t a) {
  const int64_t e = a - 3;   // an expired directory
  const int64_t f = a + 5;   // another active directory
  const int64_t l = a + 40;  // a long-lived certificate's directory
  const int64_t y2049 = DaysFromCivil(2049, 12, 31);
  const int64_t y2050 = DaysFromCivil(2050, 1, 1);
  const int64_t y2051 = DaysFromCivil(2051, 6, 30);
  std::vector<EdgeCert> out;
  EdgeCert c;

  // The same certificate from three logs: three blocks, one certificate.
  c = Simple(a, "R11", 0x0e01, {"dup-logs.example.com"}, {{"dup-logs.example.com", "example.com"}});
  c.placement.final_copies = 3;
  out.push_back(c);
  // Two identical blocks without headers: one certificate.
  c = Simple(a, "R10", 0x0e21, {"dup-plain.example.com"},
             {{"dup-plain.example.com", "example.com"}});
  c.placement.final_copies = 2;
  c.placement.headers = false;
  out.push_back(c);
  // Precertificate and its final certificate: one certificate.
  c = Simple(a, "R10", 0x0e02, {"precert.example.org", "www.precert.example.org"},
             {{"precert.example.org", "example.org"}, {"www.precert.example.org", "example.org"}});
  c.placement.precert_first = true;
  out.push_back(c);
  // A precertificate whose final certificate was never logged: one certificate.
  c = Simple(a, "E5", 0x0e03, {"precert-only.example.net"},
             {{"precert-only.example.net", "example.net"}});
  c.placement.precert_only = true;
  out.push_back(c);
  // One serial under two issuers: two certificates.
  out.push_back(Simple(a, "R11", 0x0e04, {"shared-serial.example.net"},
                       {{"shared-serial.example.net", "example.net"}}));
  out.push_back(Simple(a, "WE1", 0x0e04, {"shared-serial.example.net"},
                       {{"shared-serial.example.net", "example.net"}}));
  // One serial and issuer in two date directories: two certificates.
  out.push_back(
      Simple(a, "E5", 0x0e05, {"renewed.example.com"}, {{"renewed.example.com", "example.com"}}));
  out.push_back(
      Simple(f, "E5", 0x0e05, {"renewed.example.com"}, {{"renewed.example.com", "example.com"}}));
  // A wildcard beside its base name: two FQDNs, one wildcard, one regdomain.
  c = Simple(a, "E6", 0x0e06, {"*.example.com", "example.com"},
             {{"*.example.com", "example.com"}, {"example.com", "example.com"}});
  c.spec.subject = {Cn("example.com")};
  out.push_back(c);
  // Upper case folds to lower case.
  c = Simple(a, "R11", 0x0e07, {"WWW.Example.COM", "*.EXAMPLE.org"},
             {{"www.example.com", "example.com"}, {"*.example.org", "example.org"}});
  out.push_back(c);
  // One trailing dot is removed; of two, the second makes the name invalid.
  c = Simple(a, "R10", 0x0e08, {"example.com.", "mail.example.com.."},
             {{"example.com", "example.com"}});
  out.push_back(c);
  // CN only, no SAN extension: the CN is the FQDN.
  c = Simple(a, "DigiCert", 0x0e09, {}, {{"cn-only.example.de", "example.de"}});
  c.spec.has_san = false;
  c.spec.subject = {{"2.5.4.6", der::kPrintableString, "DE"},
                    {"2.5.4.10", der::kUtf8String, "Example GmbH"},
                    Cn("cn-only.example.de")};
  out.push_back(c);
  // An IPv4 CN with an iPAddress SAN: no FQDN.
  c = Simple(a, "Sectigo", 0x0e0a, {}, {});
  c.spec.subject = {Cn("192.0.2.7")};
  c.spec.san_ip = {std::string("\xc0\x00\x02\x07", 4)};
  out.push_back(c);
  // An IPv4 CN and no SAN: no FQDN.
  c = Simple(a, "Sectigo", 0x0e0b, {}, {});
  c.spec.subject = {Cn("198.51.100.20")};
  c.spec.has_san = false;
  out.push_back(c);
  // Empty subject, no SAN: a certificate with no names (in the .cer file).
  c = Simple(a, "NoOrg", 0x0e0c, {}, {});
  c.spec.has_san = false;
  c.placement.in_cer = true;
  out.push_back(c);
  c = Simple(f, "R11", 0x0e22, {}, {});
  c.spec.has_san = false;
  out.push_back(c);
  // Names that are public suffixes: FQDNs without a registered domain.
  c = Simple(
      a, "R10", 0x0e0d, {"co.uk", "github.io", "blogspot.com", "real.co.uk"},
      {{"co.uk", ""}, {"github.io", ""}, {"blogspot.com", ""}, {"real.co.uk", "real.co.uk"}});
  c.spec.subject.clear();
  out.push_back(c);
  // Invalid names are dropped; the one valid name stays.
  c = Simple(
      a, "R10", 0x0e10,
      {"valid-anchor.example.net", "bad name.com", "a..b.com", Repeat('a', 64) + ".example.com",
       Repeat('b', 63) + "." + Repeat('c', 63) + "." + Repeat('d', 63) + "." + Repeat('e', 50) +
           ".example.com",  // 254 characters
       "localhost", "*.*.example.com", "10.0.0.1", "xn--p1ai", ".leading-dot.example.com",
       "*example.com", "www.*.example.com", "at@sign.example.com"},
      {{"valid-anchor.example.net", "example.net"}});
  out.push_back(c);
  // An empty CN is no name.
  c = Simple(a, "WE1", 0x0e11, {"empty-cn.example.org"}, {{"empty-cn.example.org", "example.org"}});
  c.spec.subject = {Cn("")};
  out.push_back(c);
  // A non-ASCII (UTF-8) CN is dropped; its punycode SAN stays.
  c = Simple(a, "R11", 0x0e12, {"xn--bcher-kva.example.de"},
             {{"xn--bcher-kva.example.de", "example.de"}});
  c.spec.subject = {
      Cn("b\xc3\xbc"
         "cher.example.de")};
  out.push_back(c);
  // Valid at the limits: a 63-character label, a 253-character name, '_'.
  {
    std::string long_name = Repeat('f', 63) + "." + Repeat('g', 63) + "." + Repeat('h', 63) + "." +
                            Repeat('i', 49) + ".example.com";  // 253 characters
    std::string long_label = Repeat('j', 63) + ".example.com";
    c = Simple(a, "R11", 0x0e13, {long_label, long_name, "_acme-challenge.example.com"},
               {{long_label, "example.com"},
                {long_name, "example.com"},
                {"_acme-challenge.example.com", "example.com"}});
    c.spec.subject.clear();
    out.push_back(c);
  }
  // A BMPString CN, no SAN.
  c = Simple(a, "Sectigo", 0x0e14, {}, {{"bmp.example.org", "example.org"}});
  c.spec.has_san = false;
  c.spec.subject = {Cn(Utf16Be("bmp.example.org"), der::kBmpString)};
  out.push_back(c);
  // Two CNs, one of them also in the SAN.
  c = Simple(a, "DigiCert", 0x0e15, {"one.example.net"},
             {{"one.example.net", "example.net"}, {"two.example.net", "example.net"}});
  c.spec.subject = {Cn("one.example.net"), Cn("two.example.net")};
  out.push_back(c);
  // Serial with the high bit set (DER keeps a leading 0x00).
  c = Simple(a, "E6", 0, {"highbit.example.com"}, {{"highbit.example.com", "example.com"}});
  c.spec.serial = std::string("\x00\xff\x01\x02\x03\x04\x05\x06\x07\x08", 10);
  out.push_back(c);
  // Private-section suffixes: the label under them is the registered domain.
  c = Simple(a, "WE1", 0x0e16, {"foo.github.io", "www.foo.github.io", "*.bar.blogspot.com"},
             {{"foo.github.io", "foo.github.io"},
              {"www.foo.github.io", "foo.github.io"},
              {"*.bar.blogspot.com", "bar.blogspot.com"}});
  out.push_back(c);
  // Punycode labels and the punycode TLD xn--p1ai.
  c = Simple(a, "R11", 0x0e17,
             {"xn--mnchen-3ya.de", "www.xn--mnchen-3ya.de", "xn--e1afmkfd.xn--p1ai",
              "shop.xn--e1afmkfd.xn--p1ai", "xn--bcher-kva.com"},
             {{"xn--mnchen-3ya.de", "xn--mnchen-3ya.de"},
              {"www.xn--mnchen-3ya.de", "xn--mnchen-3ya.de"},
              {"xn--e1afmkfd.xn--p1ai", "xn--e1afmkfd.xn--p1ai"},
              {"shop.xn--e1afmkfd.xn--p1ai", "xn--e1afmkfd.xn--p1ai"},
              {"xn--bcher-kva.com", "xn--bcher-kva.com"}});
  out.push_back(c);
  // Day boundaries: notAfter and notBefore at 00:00:00 and 23:59:59 UTC.
  c = Simple(a, "R10", 0x0e18, {"midnight.example.com"}, {{"midnight.example.com", "example.com"}});
  c.spec.not_after = a * kSecondsPerDay;
  c.spec.not_before = (a - 90) * kSecondsPerDay;
  out.push_back(c);
  c = Simple(a, "R11", 0x0e19, {"last-second.example.com"},
             {{"last-second.example.com", "example.com"}});
  c.spec.not_after = a * kSecondsPerDay + kSecondsPerDay - 1;
  c.spec.not_before = (a - 89) * kSecondsPerDay + kSecondsPerDay - 1;
  out.push_back(c);
  // Expired directory: issued counts, active does not.
  c = Simple(e, "R11", 0x0e1a, {"expired-only.example.com"},
             {{"expired-only.example.com", "example.com"}});
  c.spec.not_after = e * kSecondsPerDay + kSecondsPerDay - 1;
  c.spec.not_before = (e - 90) * kSecondsPerDay;
  out.push_back(c);
  c = Simple(e, "R10", 0x0e1b, {"expired-midnight.example.org"},
             {{"expired-midnight.example.org", "example.org"}});
  c.spec.not_after = e * kSecondsPerDay;
  out.push_back(c);
  // UTCTime up to 2049, GeneralizedTime from 2050.
  c = Simple(y2050, "R11", 0x0e1c, {"future.example.com"}, {{"future.example.com", "example.com"}});
  c.spec.not_after = y2050 * kSecondsPerDay;
  c.spec.not_before = DaysFromCivil(2049, 10, 3) * kSecondsPerDay;
  out.push_back(c);
  c = Simple(y2049, "R10", 0x0e1d, {"last-utctime.example.com"},
             {{"last-utctime.example.com", "example.com"}});
  c.spec.not_after = y2049 * kSecondsPerDay + kSecondsPerDay - 1;
  c.spec.not_before = c.spec.not_after - 90 * kSecondsPerDay + 1;
  out.push_back(c);
  c = Simple(y2051, "DigiCert", 0x0e1e, {"far-future.example.net"},
             {{"far-future.example.net", "example.net"}});
  c.spec.not_after = y2051 * kSecondsPerDay + kSecondsPerDay - 1;
  c.spec.not_before = DaysFromCivil(2050, 7, 1) * kSecondsPerDay;
  out.push_back(c);
  // Issued in 1999 (UTCTime "99"), still active: longer than any 90-day window.
  c = Simple(l, "DigiCert", 0x0e1f, {"long-lived.example.org"},
             {{"long-lived.example.org", "example.org"}});
  c.spec.not_before = DaysFromCivil(1999, 12, 31) * kSecondsPerDay + kSecondsPerDay - 1;
  out.push_back(c);
  // The same certificate in <issuer>.pem and <issuer>.cer: one certificate.
  c = Simple(a, "R10", 0x0e20, {"pem-and-cer.example.com"},
             {{"pem-and-cer.example.com", "example.com"}});
  c.placement.also_in_cer = true;
  out.push_back(c);
  // The breakdowns (DESIGN.md 3.1): each lifetime class edge from both sides,
  // every key class and every validation level, so that the edge cases alone
  // have every class. All expire at noon of as-of; the comment is the
  // expected lifetime / key / validation class.
  struct Breakdown {
    const char* name;
    const char* issuer;
    int64_t lifetime;  // notAfter - notBefore + 1 s
    LeafKey key;
    LeafPolicies policies;
  };
  constexpr int64_t kDay = kSecondsPerDay;
  const Breakdown breakdowns[] = {
      // <=7d / Ed25519 / DV: the 6-day short-lived certificate.
      {"lifetime-160h", "R10", 160 * 3600, LeafKey::kEd25519, LeafPolicies::kDv},
      // <=7d / ECDSA-P384 / OV
      {"lifetime-7d", "E5", 7 * kDay, LeafKey::kP384, LeafPolicies::kOv},
      // 8-47d / ECDSA-P521 / IV
      {"lifetime-7d-1s", "E6", 7 * kDay + 1, LeafKey::kP521, LeafPolicies::kIv},
      // 8-47d / other (secp256k1) / EV
      {"lifetime-47d", "WE1", 47 * kDay, LeafKey::kSecp256k1, LeafPolicies::kEv},
      // 48-100d / RSA-other (1024 bits) / unknown (no certificatePolicies)
      {"lifetime-47d-1s", "NoOrg", 47 * kDay + 1, LeafKey::kRsa1024, LeafPolicies::kNone},
      // 48-100d / RSA-3072 / unknown (a private policy OID only)
      {"lifetime-100d", "Sectigo", 100 * kDay, LeafKey::kRsa3072, LeafPolicies::kPrivateOnly},
      // 101-200d / RSA-4096 / EV ([DV, EV])
      {"lifetime-100d-1s", "DigiCert", 100 * kDay + 1, LeafKey::kRsa4096, LeafPolicies::kDvEv},
      // 101-200d / other (RSASSA-PSS) / OV ([OV, private, DV])
      {"lifetime-200d", "R11", 200 * kDay, LeafKey::kRsaPss2048, LeafPolicies::kOvPrivateDv},
      // 201-398d / RSA-2048 / DV
      {"lifetime-200d-1s", "R11", 200 * kDay + 1, LeafKey::kRsa2048, LeafPolicies::kDv},
      // 201-398d / ECDSA-P256 / EV
      {"lifetime-398d", "DigiCert", 398 * kDay, LeafKey::kP256, LeafPolicies::kEv},
      // >398d / RSA-2048 / OV
      {"lifetime-398d-1s", "Sectigo", 398 * kDay + 1, LeafKey::kRsa2048, LeafPolicies::kOv},
  };
  uint32_t serial = 0x0e60;
  for (const Breakdown& b : breakdowns) {
    const std::string fqdn = std::string(b.name) + ".example.com";
    c = Simple(a, b.issuer, serial++, {fqdn}, {{fqdn, "example.com"}});
    c.spec.not_before = c.spec.not_after - b.lifetime + 1;
    c.spec.key = b.key;
    c.spec.policies = b.policies;
    // NoOrg's PEM file of as-of stays empty (an edge case of its own).
    c.placement.in_cer = std::string(b.issuer) == "NoOrg";
    out.push_back(c);
  }
  return out;
}

absl::Status WriteMalformedBlocks(Corpus* corpus, int64_t a) {
  auto pem = [&](const char* issuer) {
    return corpus->files().Buffer(corpus->PemPath(a, corpus->IssuerIndex(issuer)));
  };
  std::string garbage =
      "This decodes from base64 but is not DER: a certificate it is not, and never was.";
  uint64_t blocks = 0;
  // Base64 that decodes to bytes that are not a certificate.
  Corpus::AppendPem(pem("R10"), "CERTIFICATE", garbage, "");
  ++blocks;
  // Characters outside the base64 alphabet.
  pem("R11")->append(
      "-----BEGIN CERTIFICATE-----\nMIIB$$$not*base64!!!\n-----END CERTIFICATE-----\n");
  ++blocks;
  // A real certificate cut short.
  LeafSpec spec;
  spec.serial = Serial(0x0e50);
  spec.not_after = a * kSecondsPerDay + 3600;
  spec.not_before = spec.not_after - 90 * kSecondsPerDay;
  spec.san_dns = {"truncated.example.com"};
  std::string der;
  size_t e5 = corpus->IssuerIndex("E5");
  corpus->tmpl(e5).Build(spec, &der);
  Corpus::AppendPem(pem("E5"), "CERTIFICATE", std::string_view(der).substr(0, der.size() / 2), "");
  ++blocks;
  // Blocks that are not certificates.
  Corpus::AppendPem(pem("WE1"), "PRIVATE KEY", std::string(121, '\x5a'), "");
  ++blocks;
  Corpus::AppendPem(pem("DigiCert"), "PUBLIC KEY", LeafSpki(LeafKey::kRsa2048), "");
  ++blocks;
  Corpus::AppendPem(pem("R10"), "X509 CRL", garbage, "");
  ++blocks;
  // A bare TBSCertificate, as the original fetcher stored precertificates.
  spec.precertificate = true;
  Corpus::AppendPem(pem("Sectigo"), "CERTIFICATE",
                    corpus->tmpl(corpus->IssuerIndex("Sectigo")).BuildTbs(spec), "");
  ++blocks;
  // Nothing between the markers.
  pem("E6")->append("-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n");
  ++blocks;
  // Garbage behind ct-fetch's headers.
  Corpus::AppendPem(pem("R11"), "CERTIFICATE", garbage + " With headers.",
                    corpus->Headers(0, a * kSecondsPerDay - 5000));
  ++blocks;
  corpus->answers().AddUnparseableBlocks(blocks);
  // Also garbage where nobody looks: not counted.
  Corpus::AppendPem(corpus->files().Buffer("tmp/" + corpus->issuers()[0].issuer_id + ".pem"),
                    "CERTIFICATE", garbage, "");
  return absl::OkStatus();
}

}  // namespace

absl::Status WriteEdgeCases(Corpus* corpus) {
  const int64_t a = corpus->options().as_of_day;
  KnownAnswers& answers = corpus->answers();
  std::vector<CountedName> names;
  for (const EdgeCert& c : EdgeCertificates(a)) {
    names.clear();
    for (const Expected& x : c.expected) names.push_back(answers.InternName(x.fqdn, x.regdomain));
    corpus->WriteCertificate(c.dir_day, corpus->IssuerIndex(c.issuer), c.spec, names, c.placement);
  }
  // Certificates in folders that are not date directories: ignored.
  const char* ignored[] = {"2026-13-45", "2026-02-30", "tmp", "state"};
  uint32_t serial = 0x0e30;
  for (const char* dir : ignored) {
    EdgeCert c = Simple(a, "R11", serial++, {std::string("ignored-") + dir + ".example.com"}, {});
    c.placement.dir_name = dir;
    corpus->WriteCertificate(a, corpus->IssuerIndex("R11"), c.spec, {}, c.placement);
  }
  absl::Status s = WriteMalformedBlocks(corpus, a);
  if (!s.ok()) return s;

  // An empty PEM file (its issuer's certificates of this day are in the .cer).
  s = corpus->files().Touch(corpus->PemPath(a, corpus->IssuerIndex("NoOrg")));
  if (!s.ok()) return s;
  // Stray files.
  corpus->files().Buffer(FormatDate(a) + "/notes.txt")->append("operator notes: nothing here\n");
  corpus->files().Buffer(FormatDate(a - 3) + "/notes.txt")->append("expired, keep for audit\n");
  corpus->files().Buffer("README.txt")->append("ct-gen test corpus; see known-answers.json\n");
  corpus->files().Buffer("state/ct-fetch-oak.json")->append("{\"tree_size\": 0}\n");
  return absl::OkStatus();
}

absl::Status WriteHalfWrittenBlock(Corpus* corpus) {
  const int64_t a = corpus->options().as_of_day;
  size_t r11 = corpus->IssuerIndex("R11");
  LeafSpec spec;
  spec.serial = Serial(0x0e51);
  spec.not_after = a * kSecondsPerDay + 7200;
  spec.not_before = spec.not_after - 90 * kSecondsPerDay;
  spec.san_dns = {"half-written.example.com"};
  std::string der;
  corpus->tmpl(r11).Build(spec, &der);
  std::string block;
  Corpus::AppendPem(&block, "CERTIFICATE", der, corpus->Headers(2, spec.not_before + 50));
  // BEGIN, the headers, the blank line and three lines of base64; no END.
  size_t cut = 0;
  for (int newlines = 0; newlines < 7 && cut < block.size(); ++cut) {
    if (block[cut] == '\n') ++newlines;
  }
  corpus->files().Buffer(corpus->PemPath(a, r11))->append(block.substr(0, cut));
  return corpus->files().Flush();
}

}  // namespace ctgen
