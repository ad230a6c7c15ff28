// Long IRC replies made a chunk at a time: LIST, and WHO and NAMES of big
// channels. The door queues a chunk, then the next once the client's queue
// has drained (link::wait_until_drained), so that a reply may be larger
// than the client's sendq and a client that does not read it costs its
// queue, never more. Pure: streams only format lines.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "chat/event.hpp"
#include "chat/room.hpp"

namespace door {

// Bytes a stream adds to the client's queue at a time.
inline constexpr std::size_t kReplyChunk = std::size_t{16} * 1024;
// Rosters of more members than this are streamed; smaller ones are
// rendered at once, as one write.
inline constexpr std::size_t kStreamRoster = 200;
// Rooms LIST reads from the hub per chunk.
inline constexpr std::size_t kListPage = 64;

class reply_stream {
 public:
  reply_stream() = default;
  reply_stream(const reply_stream&) = delete;
  reply_stream& operator=(const reply_stream&) = delete;
  virtual ~reply_stream() = default;
  // Appends whole lines to `out` until it holds at least `budget` bytes or
  // the reply is complete (its end line included); true when complete.
  virtual bool fill(std::string& out, std::size_t budget) = 0;
};

// How a roster is shown.
struct roster_format {
  bool as_names = false;      // NAMES (353, 366), else WHO (352 or WHOX 354, 315)
  bool multi_prefix = false;  // every prefix, not only the highest
  bool hosts = false;         // NAMES with nick!user@host (userhost-in-names)
};

// WHO or NAMES of a roster event, for the client `ev.from`. A who_reply's
// `text` holds WHOX fields ("tcuhn,42": letters of tcuihsnfdlaor, then a
// token for t); its `target`, when set, is the mask the 315 names.
std::unique_ptr<reply_stream> roster_stream(chat::event_ptr ev, std::string server, roster_format how);

// LIST: 321, a 322 per room that `wanted` accepts (pages of kListPage from
// `page`), 323.
using list_page = std::function<std::vector<chat::room_summary>(std::string_view after, std::size_t n)>;
using list_filter = std::function<bool(const chat::room_summary&)>;
std::unique_ptr<reply_stream> list_stream(list_page page, list_filter wanted, std::string server,
                                          std::string target);

}  // namespace door
