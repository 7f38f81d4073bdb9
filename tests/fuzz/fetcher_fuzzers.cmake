# libFuzzer targets for ct-fetch's parsers. Included by the fuzz CMakeLists;
# builds only with clang and -DCT_FUZZ=ON, and appends the targets to
# CT_FETCH_FUZZERS.
if(CT_FUZZ)
  set(CT_FETCH_FUZZ_FLAGS -fsanitize=fuzzer,address,undefined)
  # The library gets coverage feedback and the same sanitizers.
  target_compile_options(ct_fetch_verify PRIVATE -fsanitize=fuzzer-no-link,address,undefined)

  # fetcher_get_entries_fuzzer feeds the simdjson batch parser and the nlohmann
  # reference the same bytes and aborts when they disagree (simdjson, linked
  # directly, checks the one allowed difference).
  foreach(f fetcher_log_entry_fuzzer fetcher_checkpoint_fuzzer fetcher_get_entries_fuzzer)
    add_executable(${f} ${CMAKE_CURRENT_LIST_DIR}/${f}.cc)
    target_link_libraries(${f} PRIVATE ct_fetch_verify ct_x509 simdjson::simdjson)
    target_compile_options(${f} PRIVATE ${CT_FETCH_FUZZ_FLAGS})
    target_link_options(${f} PRIVATE ${CT_FETCH_FUZZ_FLAGS})
    list(APPEND CT_FETCH_FUZZERS ${f})
  endforeach()
endif()
