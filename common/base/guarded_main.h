// The body of every binary's main(): errors are values inside the program;
// this only keeps an unexpected exception (an allocation failure, a library
// bug) from ending the process without a word.
#ifndef CT_COMMON_BASE_GUARDED_MAIN_H_
#define CT_COMMON_BASE_GUARDED_MAIN_H_

#include <cstdio>
#include <exception>

namespace ctmr::base {

inline int GuardedMain(int argc, char** argv, int (*body)(int, char**)) {
  try {
    return body(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: %s\n", argv[0], e.what());
    return 1;
  }
}

}  // namespace ctmr::base

#endif  // CT_COMMON_BASE_GUARDED_MAIN_H_
