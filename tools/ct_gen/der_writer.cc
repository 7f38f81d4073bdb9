#include "tools/ct_gen/der_writer.h"

#include <cstdio>
#include <cstdlib>
#include <vector>

#include "tools/ct_gen/dates.h"

namespace ctgen {
namespace der {

void AppendTlv(std::string* out, uint8_t tag, std::string_view content) {
  out->push_back(static_cast<char>(tag));
  size_t len = content.size();
  if (len < 0x80) {
    out->push_back(static_cast<char>(len));
  } else {
    char bytes[8];
    int n = 0;
    for (size_t v = len; v > 0; v >>= 8) bytes[n++] = static_cast<char>(v & 0xff);
    out->push_back(static_cast<char>(0x80 | n));
    while (n > 0) out->push_back(bytes[--n]);
  }
  out->append(content.data(), content.size());
}

std::string Tlv(uint8_t tag, std::string_view content) {
  std::string out;
  out.reserve(content.size() + 6);
  AppendTlv(&out, tag, content);
  return out;
}

static std::string Constructed(uint8_t tag, std::initializer_list<std::string_view> parts) {
  size_t total = 0;
  for (std::string_view p : parts) total += p.size();
  std::string content;
  content.reserve(total);
  for (std::string_view p : parts) content.append(p.data(), p.size());
  return Tlv(tag, content);
}

std::string Sequence(std::initializer_list<std::string_view> parts) {
  return Constructed(kSequence, parts);
}

std::string Set(std::initializer_list<std::string_view> parts) { return Constructed(kSet, parts); }

std::string IntegerContent(std::string_view content) { return Tlv(kInteger, content); }

std::string SmallInteger(uint64_t value) {
  std::string content;
  do {
    content.insert(content.begin(), static_cast<char>(value & 0xff));
    value >>= 8;
  } while (value > 0);
  if (static_cast<uint8_t>(content[0]) & 0x80) content.insert(content.begin(), '\0');
  return Tlv(kInteger, content);
}

std::string Oid(std::string_view dotted) {
  std::vector<uint64_t> arcs;
  uint64_t cur = 0;
  for (char c : dotted) {
    if (c == '.') {
      arcs.push_back(cur);
      cur = 0;
    } else {
      cur = cur * 10 + static_cast<uint64_t>(c - '0');
    }
  }
  arcs.push_back(cur);
  std::string content;
  auto append_base128 = [&content](uint64_t v) {
    char tmp[10];
    int n = 0;
    do {
      tmp[n++] = static_cast<char>(v & 0x7f);
      v >>= 7;
    } while (v > 0);
    while (n > 1) content.push_back(static_cast<char>(tmp[--n] | 0x80));
    content.push_back(tmp[0]);
  };
  append_base128(arcs[0] * 40 + arcs[1]);
  for (size_t i = 2; i < arcs.size(); ++i) append_base128(arcs[i]);
  return Tlv(kOid, content);
}

std::string Boolean(bool value) { return Tlv(kBoolean, std::string(1, value ? '\xff' : '\0')); }

std::string Null() { return Tlv(kNull, {}); }

std::string OctetString(std::string_view content) { return Tlv(kOctetString, content); }

std::string BitString(std::string_view content) {
  std::string body(1, '\0');
  body.append(content.data(), content.size());
  return Tlv(kBitString, body);
}

std::string Time(int64_t unix_seconds) {
  CivilTime t = ToCivil(unix_seconds);
  char buf[32];
  if (t.year >= 1950 && t.year <= 2049) {
    std::snprintf(buf, sizeof buf, "%02d%02d%02d%02d%02d%02dZ", t.year % 100, t.month, t.day,
                  t.hour, t.minute, t.second);
    return Tlv(kUtcTime, buf);
  }
  std::snprintf(buf, sizeof buf, "%04d%02d%02d%02d%02d%02dZ", t.year, t.month, t.day, t.hour,
                t.minute, t.second);
  return Tlv(kGeneralizedTime, buf);
}

}  // namespace der
}  // namespace ctgen
