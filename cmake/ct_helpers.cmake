# Declarative helpers in the manner of Abseil's absl_cc_library / absl_cc_test:
# one short block per target, dependencies named, nothing else.

# ct_cc_library(NAME name SRCS a.cc b.cc [HDRS a.h] [DEPS lib ...])
function(ct_cc_library)
  cmake_parse_arguments(CT "" "NAME" "SRCS;HDRS;DEPS" ${ARGN})
  add_library(${CT_NAME} STATIC ${CT_SRCS} ${CT_HDRS})
  target_include_directories(${CT_NAME} PUBLIC ${PROJECT_SOURCE_DIR} ${PROJECT_BINARY_DIR})
  target_link_libraries(${CT_NAME} PUBLIC ${CT_DEPS})
endfunction()

# ct_cc_binary(NAME name SRCS main.cc [DEPS lib ...])
function(ct_cc_binary)
  cmake_parse_arguments(CT "" "NAME" "SRCS;DEPS" ${ARGN})
  add_executable(${CT_NAME} ${CT_SRCS})
  target_link_libraries(${CT_NAME} PRIVATE ${CT_DEPS})
endfunction()

# ct_cc_test(NAME name SRCS a_test.cc [DEPS lib ...] [LABELS l ...])
# Registers every TEST() of the binary with CTest, so `ctest -j` spreads them.
function(ct_cc_test)
  cmake_parse_arguments(CT "" "NAME" "SRCS;DEPS;LABELS" ${ARGN})
  if(NOT CT_BUILD_TESTS)
    return()
  endif()
  add_executable(${CT_NAME} ${CT_SRCS})
  target_link_libraries(${CT_NAME} PRIVATE ${CT_DEPS} GTest::gtest GTest::gmock GTest::gtest_main)
  gtest_discover_tests(${CT_NAME} WORKING_DIRECTORY ${PROJECT_SOURCE_DIR} DISCOVERY_TIMEOUT 60)
  # The environment and labels are lists, which gtest_discover_tests(PROPERTIES)
  # spreads over separate arguments (CMake 3.25), losing them: they are set
  # from a file CTest reads after the discovered tests instead.
  set(properties "${CMAKE_CURRENT_BINARY_DIR}/${CT_NAME}_properties.cmake")
  file(WRITE "${properties}"
    "if(${CT_NAME}_TESTS)\n"
    "  set_tests_properties(\${${CT_NAME}_TESTS} PROPERTIES\n"
    "    ENVIRONMENT \"CT_BIN_DIR=${PROJECT_BINARY_DIR}/bin;CT_SOURCE_DIR=${PROJECT_SOURCE_DIR}\"\n"
    "    LABELS \"${CT_LABELS}\")\n"
    "endif()\n")
  set_property(DIRECTORY APPEND PROPERTY TEST_INCLUDE_FILES "${properties}")
endfunction()
