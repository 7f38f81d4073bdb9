// The PEM and DER-stream readers on hostile input. Checks, besides memory
// safety (ASan, UBSan):
//  - resumability: scanning a prefix that a writer is still appending to, and
//    then the rest from consumed(), yields exactly the blocks of one scan of
//    the whole (the map's "read only complete blocks, continue next time");
//  - every CERTIFICATE block that the fast DER reader accepts is read
//    identically by OpenSSL (the same contract as certificate_parser_fuzzer,
//    reached through base64).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "common/x509/base64.h"
#include "common/x509/certificate_view.h"
#include "common/x509/der_certificate_parser.h"
#include "common/x509/der_sequence_scanner.h"
#include "common/x509/openssl_certificate_parser.h"
#include "common/x509/pem_scanner.h"

namespace {

struct Seen {
  std::string label, body;
  bool malformed;
  bool operator==(const Seen& o) const {
    return label == o.label && body == o.body && malformed == o.malformed;
  }
};

void Fail(const char* what) {
  std::fprintf(stderr, "pem_reader_fuzzer: %s\n", what);
  std::abort();
}

// Scans `buffer`, appending blocks to `out`; returns consumed().
size_t Scan(std::string_view buffer, bool at_end, std::vector<Seen>* out) {
  ctmr::x509::PemScanner scanner(buffer, at_end);
  ctmr::x509::PemBlock block;
  while (scanner.Next(&block)) {
    out->push_back({std::string(block.label), std::string(block.body), block.malformed});
  }
  if (scanner.consumed() > buffer.size()) Fail("consumed past the buffer");
  return scanner.consumed();
}

void CheckCertificate(std::string_view der) {
  static ctmr::x509::CertificateView fast, slow;
  if (!ctmr::x509::ParseCertificateDer(der, &fast).ok()) return;
  if (!ctmr::x509::ParseCertificateWithOpenSsl(der, &slow).ok())
    Fail("OpenSSL refuses what we accept");
  if (fast.serial != slow.serial || fast.issuer != slow.issuer ||
      fast.not_before != slow.not_before || fast.not_after != slow.not_after ||
      fast.dns_names != slow.dns_names || fast.common_names != slow.common_names ||
      fast.is_precertificate != slow.is_precertificate || fast.key != slow.key ||
      fast.validation != slow.validation) {
    Fail("fast reader and OpenSSL disagree");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  // The first byte picks where the writer was when the first read happened.
  const size_t split = size > 1 ? data[0] * (size - 1) / 255 : 0;
  const std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);

  std::vector<Seen> whole;
  Scan(input, true, &whole);

  std::vector<Seen> pieces;
  const size_t consumed = Scan(input.substr(0, split), false, &pieces);
  Scan(input.substr(consumed), true, &pieces);
  if (!(pieces == whole)) Fail("reading in two pieces differs from reading once");

  std::string der;
  for (const Seen& b : whole) {
    der.clear();
    if (!b.malformed && b.label == "CERTIFICATE" && ctmr::x509::DecodeBase64(b.body, &der)) {
      CheckCertificate(der);
    }
  }

  // The same bytes as a .cer stream.
  ctmr::x509::DerSequenceScanner stream(input);
  std::string_view element;
  bool malformed = false;
  while (stream.Next(&element, &malformed)) {
    if (!malformed) CheckCertificate(element);
  }
  if (stream.consumed() > input.size()) Fail("DER stream consumed past the buffer");
  return 0;
}
