# libFuzzer targets for the parsers of untrusted input (t/fuzz/, see t/fuzz/README.md).
#
#   cmake -S . -B build-fuzz -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
#         -DOTP_FUZZ=ON -DOTP_BUILD_MODULE=OFF
#   cmake --build build-fuzz --target fuzz-targets -j2
#
# scripts/run-fuzz.sh does exactly this and then runs every target.
#
# lib/ is compiled a second time (otpcore_fuzz) with coverage instrumentation and the
# sanitizers; the ordinary otpcore stays untouched. Every t/fuzz/fuzz_*.cpp is one target.

if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
  message(FATAL_ERROR "OTP_FUZZ=ON needs clang (libFuzzer): configure with "
                      "-DCMAKE_CXX_COMPILER=clang++ -DCMAKE_C_COMPILER=clang")
endif()

set(OTP_FUZZ_SANITIZERS "address,undefined" CACHE STRING
    "Sanitizers for the fuzz build (-fsanitize=...)")

# -O1: fast enough to fuzz, quick to compile on two cores; every UBSan report is fatal so
# that libFuzzer records the input.
set(OTP_FUZZ_COMPILE_FLAGS
    -fsanitize=${OTP_FUZZ_SANITIZERS} -fno-sanitize-recover=all
    -fno-omit-frame-pointer -g -O1)

add_library(otpcore_fuzz STATIC ${OTP_CORE_SOURCES})
target_include_directories(otpcore_fuzz PUBLIC ${CMAKE_SOURCE_DIR}/lib)
target_link_libraries(otpcore_fuzz PUBLIC OpenSSL::Crypto PkgConfig::JANSSON Threads::Threads)
target_compile_options(otpcore_fuzz PRIVATE -fsanitize=fuzzer-no-link ${OTP_FUZZ_COMPILE_FLAGS})

add_custom_target(fuzz-targets)

file(GLOB OTP_FUZZ_SOURCES CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/t/fuzz/fuzz_*.cpp)
foreach(fuzz_source ${OTP_FUZZ_SOURCES})
  get_filename_component(fuzz_name ${fuzz_source} NAME_WE)
  add_executable(${fuzz_name} ${fuzz_source})
  target_include_directories(${fuzz_name} PRIVATE ${CMAKE_SOURCE_DIR}/t/fuzz)
  target_compile_options(${fuzz_name} PRIVATE -fsanitize=fuzzer ${OTP_FUZZ_COMPILE_FLAGS})
  target_link_options(${fuzz_name} PRIVATE -fsanitize=fuzzer,${OTP_FUZZ_SANITIZERS})
  target_link_libraries(${fuzz_name} PRIVATE otpcore_fuzz)
  add_dependencies(fuzz-targets ${fuzz_name})
endforeach()

# Writes the generated seed files (valid codes at the fixed clock, sealed cookies under the
# fixed key) of t/fuzz/corpus/; only needed when t/fuzz/fixtures.h changes. Not a fuzzer.
add_executable(fuzz_gen_seeds EXCLUDE_FROM_ALL ${CMAKE_SOURCE_DIR}/t/fuzz/gen_seeds.cpp)
target_include_directories(fuzz_gen_seeds PRIVATE ${CMAKE_SOURCE_DIR}/t/fuzz)
target_link_libraries(fuzz_gen_seeds PRIVATE otpcore)
