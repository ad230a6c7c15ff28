// The database's schema and its migrations, keyed by PRAGMA user_version,
// and the connection settings both store connections share.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include <tl/expected.hpp>

#include "store/sqlite.hpp"

namespace store::schema {

// Brings the file to kSchemaVersion (a fresh file starts at 0); refuses a
// file whose version is newer than this build's. Errors name the file.
tl::expected<void, std::string> migrate(sql::db& db, const std::filesystem::path& file);

// What a failed SQLite call at open means for an operator, naming the file:
// "not a database", "read-only", "cannot open", ...
std::string describe_open_error(const std::filesystem::path& file, const sql::error& e);

}  // namespace store::schema
