# Third-party dependencies, all from Debian 12 packages (scripts/install-deps.sh).
# No FetchContent: the build machines reach Debian's archive and nothing else.

find_package(Threads REQUIRED)
find_package(tl-expected 1.0 REQUIRED)
find_package(fmt 9 REQUIRED)
find_package(spdlog 1.10 REQUIRED)
find_package(CLI11 2.1 REQUIRED)
find_package(OpenSSL 3 REQUIRED)
# The configuration file's parser: a complete TOML 1.0 parser that reports
# the line and column of every error, instead of CLI11's INI reader.
find_package(tomlplusplus 3 REQUIRED)
# Operator passwords are stored as argon2id hashes (the reference
# implementation; Debian ships no CMake package, only pkg-config).
find_package(PkgConfig REQUIRED)
pkg_check_modules(ARGON2 REQUIRED IMPORTED_TARGET libargon2)
# History, accounts and registered channels: SQLite, embedded. One file,
# transactions that survive a crash (WAL), nothing for an operator to run
# beside the server; Debian 12 ships 3.40 (row values, RETURNING, upserts).
find_package(SQLite3 3.35 REQUIRED)
# Redis (clustering chat nodes): hiredis's RESP parser and command encoder only, asio does the I/O.
pkg_check_modules(HIREDIS REQUIRED IMPORTED_TARGET hiredis)

# Standalone asio is header-only and ships no CMake package: wrap it in an
# interface target so its settings live in one place.
find_path(ASIO_INCLUDE_DIR asio.hpp REQUIRED)
add_library(asio INTERFACE)
add_library(chat::asio ALIAS asio)
target_include_directories(asio SYSTEM INTERFACE "${ASIO_INCLUDE_DIR}")
target_compile_definitions(
  asio
  INTERFACE ASIO_STANDALONE
            # We never use asio's deprecated interfaces; hiding them keeps
            # accidental use (and their compile time) out.
            ASIO_NO_DEPRECATED
            # Clang 14 with libstdc++ does not detect coroutine support by
            # itself; g++ 12 does, and the definitions are harmless there.
            ASIO_HAS_CO_AWAIT
            ASIO_HAS_STD_COROUTINE)
target_link_libraries(asio INTERFACE Threads::Threads)

# asio's TLS streams, over OpenSSL.
add_library(asio_ssl INTERFACE)
add_library(chat::asio_ssl ALIAS asio_ssl)
target_link_libraries(asio_ssl INTERFACE asio OpenSSL::SSL OpenSSL::Crypto)

if(CHAT_BUILD_TESTS)
  find_package(Catch2 2.13 REQUIRED)
  include(Catch)
endif()

if(CHAT_BUILD_BENCH)
  find_package(benchmark 1.7 REQUIRED)
endif()
