// Reads fixtures from tests/data/ct, under $CT_SOURCE_DIR when CTest sets it.
#ifndef CT_TESTS_FETCHER_TEST_DATA_H_
#define CT_TESTS_FETCHER_TEST_DATA_H_

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

namespace ctmr {

inline std::string CtTestDataPath(const std::string& relative) {
  const char* root = std::getenv("CT_SOURCE_DIR");
  return (root != nullptr ? std::string(root) + "/" : std::string()) + "tests/data/ct/" + relative;
}

// The file's bytes; empty if it cannot be read (tests assert on that).
inline std::string ReadCtTestData(const std::string& relative) {
  std::ifstream in(CtTestDataPath(relative), std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

}  // namespace ctmr

#endif  // CT_TESTS_FETCHER_TEST_DATA_H_
