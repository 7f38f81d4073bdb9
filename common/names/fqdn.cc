#include "common/names/fqdn.h"

#include <arpa/inet.h>

#include <array>
#include <cstdint>

namespace ctmr::names {
namespace {

enum : uint8_t { kBad = 0, kLabelChar = 1, kDigit = 2, kDot = 3 };

constexpr std::array<uint8_t, 256> MakeClasses() {
  std::array<uint8_t, 256> t{};
  for (int c = 'a'; c <= 'z'; ++c) t[c] = kLabelChar;
  for (int c = '0'; c <= '9'; ++c) t[c] = kDigit;
  t['-'] = kLabelChar;
  t['_'] = kLabelChar;
  t['.'] = kDot;
  return t;
}
constexpr std::array<uint8_t, 256> kClasses = MakeClasses();

// inet_pton's IPv4 form: four decimal octets 0-255 without leading zeros.
bool IsIpv4Literal(const std::string& name) {
  in_addr addr;
  return inet_pton(AF_INET, name.c_str(), &addr) == 1;
}

}  // namespace

bool NormalizeFqdn(std::string_view raw, std::string* out) {
  if (!raw.empty() && raw.back() == '.') raw.remove_suffix(1);
  if (raw.size() > kMaxFqdnLength || raw.empty()) return false;
  out->resize(raw.size());
  char* dst = out->data();
  size_t pos = 0;
  if (raw.size() >= 2 && raw[0] == '*' && raw[1] == '.') {
    dst[0] = '*';
    dst[1] = '.';
    pos = 2;
  }
  const size_t names_start = pos;
  size_t labels = 0;
  size_t label_length = 0;
  bool all_digits_and_dots = true;
  for (; pos < raw.size(); ++pos) {
    char c = raw[pos];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    const uint8_t cls = kClasses[static_cast<uint8_t>(c)];
    if (cls == kBad) return false;
    dst[pos] = c;
    if (cls == kDot) {
      if (label_length == 0) return false;
      ++labels;
      label_length = 0;
      continue;
    }
    if (cls != kDigit) all_digits_and_dots = false;
    if (++label_length > 63) return false;
  }
  if (label_length == 0) return false;  // empty last label (or empty name)
  ++labels;
  if (labels < 2) return false;
  if (all_digits_and_dots && names_start == 0 && IsIpv4Literal(*out)) return false;
  return true;
}

}  // namespace ctmr::names
