# ct-fetch against big and hostile logs (tests/fetcher/fetch_scale_harness.h).
# Included from tests/fetcher/CMakeLists.txt. The tests run the real ct-fetch,
# ct-gen, ct-worker and ct-coordinator binaries and the Python test log server.
if(CT_BUILD_TESTS)
  ct_cc_library(NAME ct_fetch_scale_harness SRCS fetch_scale_harness.cc
    DEPS ct_fetch ct_test_support nlohmann_json::nlohmann_json absl::strings GTest::gtest)

  # Hostile servers at the ct-fetch level, on a small generated log: the release
  # pass (the sanitizer pass, -LE slow, leaves them to http_client_test).
  ct_cc_test(NAME fetch_hostile_test SRCS fetch_hostile_test.cc
    DEPS ct_fetch_scale_harness ct_test_support
    LABELS slow fetcher integration)
  add_dependencies(fetch_hostile_test ct-fetch ct-gen)

  # The 100,981-entry log, made once per ctest run by the FetchScale.MakeLog
  # fixture; the tests that fetch it are labelled slow (the sanitizer pass,
  # `ctest -LE slow`, skips them).
  set(CT_BIG_LOG ${CMAKE_CURRENT_BINARY_DIR}/big-log)
  add_test(NAME FetchScale.MakeLog
    COMMAND /bin/bash ${PROJECT_SOURCE_DIR}/tests/fetch_log_server/make_big_log.sh
            $<TARGET_FILE:ct-gen> ${CT_BIG_LOG})
  set_tests_properties(FetchScale.MakeLog PROPERTIES
    FIXTURES_SETUP fetch_big_log LABELS "slow;fetcher" TIMEOUT 300)
  # One ctest entry per test, named here rather than discovered: discovery
  # flattens list-valued properties (ENVIRONMENT, LABELS) into one value.
  set(CT_BIG_LOG_TESTS
    fetch_scale_test:FetchScaleTest.Rfc6962UnderFaultsLandsEveryEntry
    fetch_scale_test:FetchScaleTest.TiledUnderFaultsLandsEveryEntry
    fetch_scale_test:FetchScaleTest.TamperedLeafIsRefusedWithItsRound
    fetch_scale_test:FetchScaleTest.BadSignatureIsRefused
    fetch_scale_test:FetchDifferentialTest.HotPathAgreesWithItsReferencesOnEveryEntry
    fetch_crash_test:BothApis/FetchCrashTest.KilledTenTimesThenFinishedLandsEveryEntry/Rfc6962
    fetch_crash_test:BothApis/FetchCrashTest.KilledTenTimesThenFinishedLandsEveryEntry/Tiled
    fetch_crash_test:FetchTornBlockTest.TornBlockIsNotLeftInTheData)
  foreach(name fetch_scale_test fetch_crash_test)
    add_executable(${name} ${name}.cc)
    target_link_libraries(${name} PRIVATE ct_fetch_scale_harness ct_test_support
      GTest::gtest GTest::gtest_main)
    add_dependencies(${name} ct-fetch ct-gen ct-worker ct-coordinator)
  endforeach()
  foreach(entry ${CT_BIG_LOG_TESTS})
    string(REPLACE ":" ";" parts ${entry})
    list(GET parts 0 binary)
    list(GET parts 1 test)
    add_test(NAME ${test} COMMAND ${binary} --gtest_filter=${test}
      WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
    set_tests_properties(${test} PROPERTIES
      ENVIRONMENT
        "CT_BIN_DIR=${PROJECT_BINARY_DIR}/bin;CT_SOURCE_DIR=${PROJECT_SOURCE_DIR};CT_SCALE_LOG=${CT_BIG_LOG}"
      LABELS "slow;fetcher" FIXTURES_REQUIRED fetch_big_log TIMEOUT 400
      # Fails when the filter matches no test (a renamed test), not only when it fails.
      PASS_REGULAR_EXPRESSION "\\[  PASSED  \\] 1 test\\.")
  endforeach()
endif()

# Four logs followed at once (tests/fetcher/fetch_concurrent_test.cc), on
# small generated logs of their own: the order test runs everywhere, the
# ten-kill test is slow.
if(CT_BUILD_TESTS)
  add_executable(fetch_concurrent_test fetch_concurrent_test.cc)
  target_link_libraries(fetch_concurrent_test PRIVATE ct_fetch_scale_harness ct_test_support
    nlohmann_json::nlohmann_json GTest::gtest GTest::gtest_main)
  add_dependencies(fetch_concurrent_test ct-fetch ct-gen ct-worker ct-coordinator)
  foreach(entry "FetchConcurrentTest.HeldLogsDoNotHoldUpTheOthers:fetcher\;integration"
                "FetchConcurrentTest.SigtermStopsEveryLogEvenOneThatNeverAnswers:fetcher\;integration"
                "FetchConcurrentTest.KilledTenTimesWhileFollowingFourLogs:slow\;fetcher")
    string(REPLACE ":" ";" parts ${entry})
    list(GET parts 0 test)
    list(GET parts 1 labels)
    add_test(NAME ${test} COMMAND fetch_concurrent_test --gtest_filter=${test}
      WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
    set_tests_properties(${test} PROPERTIES
      ENVIRONMENT "CT_BIN_DIR=${PROJECT_BINARY_DIR}/bin;CT_SOURCE_DIR=${PROJECT_SOURCE_DIR}"
      LABELS "${labels}" TIMEOUT 400
      PASS_REGULAR_EXPRESSION "\\[  PASSED  \\] 1 test\\.")
  endforeach()
endif()
