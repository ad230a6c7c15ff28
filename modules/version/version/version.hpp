// What this build is: printed by every binary's --version and logged by the
// server at start. Defined in a file generated at build time
// (modules/version/describe.cmake).
#pragma once

#include <string_view>

namespace chat {

// "0.1.0 (git v0.1.0-12-gabcdef0)" from a git checkout, "0.1.0" otherwise.
std::string_view version() noexcept;
// The project version alone, "0.1.0".
std::string_view version_number() noexcept;

}  // namespace chat
