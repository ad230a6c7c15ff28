// How the Redis backend writes what it keeps: key names under kPrefix, the
// sortable member that orders a target's lines, and lines and channels as
// length-prefixed fields. Pure: no I/O. The layout is in
// docs/ARCHITECTURE.md ("Accounts and history in a cluster").
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "store/store.hpp"

namespace store::redis_codec {

// Every key of the store starts with it; the cluster's own keys are
// chat:1:<something else> (modules/cluster), so the two never meet.
inline constexpr std::string_view kPrefix = "chat:1:store:";
// Hex digits of each half of a member: 16 for the time, 16 for the id.
inline constexpr std::size_t kHalfDigits = 16;
inline constexpr std::size_t kMemberDigits = 2 * kHalfDigits;

// `at` as 16 hex digits that sort as the numbers do (offset by 2^63).
std::string at_key(std::int64_t at);
// A line's member in its target's sorted sets: at_key, then the id as 16
// hex digits; members compare (at, id) as SQLite's index does.
std::string member(std::int64_t at, std::uint64_t id);
// The time in a member, or nullopt for one that is not ours.
std::optional<std::int64_t> at_of(std::string_view member);

// The keys of one target: "all" (every line), "msg" (messages only),
// "lines" (member -> the encoded line), "ids" (msgid -> member).
std::string target_key(std::string_view target, std::string_view part);
std::string key(std::string_view what);  // kPrefix + what

// Lines and channels as fields "<length>:<bytes>", the msgid first (the
// retention script reads it). Decoding refuses anything malformed.
std::string encode_line(const line& l);
std::optional<line> decode_line(std::string_view v);
// The founder folded, as the account's key.
std::string encode_channel(const channel& c, std::string_view founder_folded);
std::optional<channel> decode_channel(std::string_view v);

std::optional<std::int64_t> parse_int(std::string_view s);
// A sorted set's score as Redis writes it ("1700000000000", "1e+15").
std::optional<std::int64_t> parse_score(std::string_view s);

}  // namespace store::redis_codec
