# The sanitizer build: `make test SANITIZE=1` configures build-asan/ with -DOTP_SANITIZE=ON.
# AddressSanitizer + UndefinedBehaviorSanitizer (gcc) for everything this project compiles:
# lib/, mod_otp.so, tools/ and the unit tests.
#
# mod_otp.so then depends on gcc's libasan, which must come first in a process's library list:
# httpd has to be started with LD_PRELOAD=<that libasan>. For that the configure step writes
# ${CMAKE_BINARY_DIR}/sanitizer.env (shell syntax), which scripts/run-e2e-tests.sh reads:
#   OTP_ASAN_RUNTIME     the libasan matching the compiler (`c++ -print-file-name=libasan.so`)
#   OTP_HTTPD_ASAN_OPTIONS / OTP_UBSAN_OPTIONS   the options for httpd
# ctest tests get the options too (see otp_sanitize_tests below): leak detection on for our
# own executables, off (and libasan preloaded) for scripts, which may start httpd.

option(OTP_SANITIZE "Build with AddressSanitizer and UndefinedBehaviorSanitizer (gcc)" OFF)
set(OTP_SANITIZER_ENV_FILE ${CMAKE_BINARY_DIR}/sanitizer.env)
if(NOT OTP_SANITIZE)
  file(REMOVE ${OTP_SANITIZER_ENV_FILE})
  return()
endif()

if(CMAKE_VERSION VERSION_LESS 3.19)
  message(FATAL_ERROR "OTP_SANITIZE=ON needs CMake 3.19 or later (cmake_language DEFER)")
endif()
if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  message(FATAL_ERROR "OTP_SANITIZE=ON needs gcc (the end-to-end run preloads gcc's libasan "
                      "into httpd); found ${CMAKE_CXX_COMPILER_ID}")
endif()

add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer)
add_link_options(-fsanitize=address,undefined)

execute_process(COMMAND ${CMAKE_CXX_COMPILER} -print-file-name=libasan.so
                OUTPUT_VARIABLE otp_asan_runtime OUTPUT_STRIP_TRAILING_WHITESPACE)
if(NOT IS_ABSOLUTE "${otp_asan_runtime}" OR NOT EXISTS "${otp_asan_runtime}")
  message(FATAL_ERROR "OTP_SANITIZE=ON: ${CMAKE_CXX_COMPILER} has no libasan.so "
                      "(Debian: the libasanN package of this gcc)")
endif()
get_filename_component(OTP_ASAN_RUNTIME "${otp_asan_runtime}" REALPATH)
message(STATUS "Sanitizers: ASan + UBSan, runtime for httpd: ${OTP_ASAN_RUNTIME}")

# UBSan: every report stops the process, with a stack trace.
set(OTP_UBSAN_OPTIONS "halt_on_error=1:print_stacktrace=1")
# Our own executables (unit tests, tools): leaks are errors.
set(OTP_UNIT_ASAN_OPTIONS "detect_leaks=1:check_initialization_order=1:strict_init_order=1")
# httpd (and perl, bash when a test script runs them): their pools and exit paths leak by
# design, so no leak detection; every other ASan report still stops the process.
set(OTP_HTTPD_ASAN_OPTIONS "detect_leaks=0:check_initialization_order=1")

file(WRITE ${OTP_SANITIZER_ENV_FILE}
     "# Written by cmake/sanitize.cmake: this build dir holds an ASan + UBSan build.\n"
     "OTP_ASAN_RUNTIME='${OTP_ASAN_RUNTIME}'\n"
     "OTP_HTTPD_ASAN_OPTIONS='${OTP_HTTPD_ASAN_OPTIONS}'\n"
     "OTP_UBSAN_OPTIONS='${OTP_UBSAN_OPTIONS}'\n")

# At the end of the top-level CMakeLists.txt, when every test exists: a test whose name is one
# of our targets runs that (sanitized) executable; any other runs a script, which may load
# mod_otp.so into httpd (httpd -L, httpd -t) and then needs libasan preloaded.
function(otp_sanitize_tests)
  get_directory_property(tests DIRECTORY ${CMAKE_SOURCE_DIR} TESTS)
  foreach(test IN LISTS tests)
    if(TARGET ${test})
      set_property(TEST ${test} APPEND PROPERTY ENVIRONMENT
                   "ASAN_OPTIONS=${OTP_UNIT_ASAN_OPTIONS}" "UBSAN_OPTIONS=${OTP_UBSAN_OPTIONS}")
    else()
      set_property(TEST ${test} APPEND PROPERTY ENVIRONMENT "LD_PRELOAD=${OTP_ASAN_RUNTIME}"
                   "ASAN_OPTIONS=${OTP_HTTPD_ASAN_OPTIONS}" "UBSAN_OPTIONS=${OTP_UBSAN_OPTIONS}")
    endif()
  endforeach()
endfunction()
cmake_language(DEFER DIRECTORY ${CMAKE_SOURCE_DIR} CALL otp_sanitize_tests)
