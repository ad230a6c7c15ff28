#include "door/irc_stream.hpp"

#include <array>

#include "protocol/irc_reply.hpp"
#include "protocol/nick.hpp"

namespace door {

namespace irc = protocol::irc;
using irc::numeric;

namespace {

std::string prefixes(const chat::roster_entry& e, bool multi_prefix) {
  std::string p;
  if (e.op) p += '@';
  if (e.voice && (multi_prefix || !e.op)) p += '+';
  return p;
}

class roster_reply final : public reply_stream {
 public:
  roster_reply(chat::event_ptr ev, std::string server, bool as_names, bool multi_prefix)
      : ev_(std::move(ev)), server_(std::move(server)), as_names_(as_names), multi_prefix_(multi_prefix) {}

  bool fill(std::string& out, std::size_t budget) override {
    const auto& roster = ev_->roster;
    if (as_names_) {
      // As many names per 353 as fit a line; a chunk's worth of names at a time.
      std::vector<std::string> names;
      std::size_t bytes = 0;
      for (; next_ < roster.size() && bytes < budget; ++next_) {
        names.push_back(prefixes(roster[next_], multi_prefix_) + roster[next_].nick);
        bytes += names.back().size() + 1;
      }
      if (!names.empty()) {
        const std::array<std::string_view, 2> middle{"=", ev_->room};
        irc::append_numeric_list(out, server_, numeric::rpl_namreply, ev_->from, middle, names);
      }
      if (next_ < roster.size()) return false;
      irc::append_numeric(out, server_, numeric::rpl_endofnames, ev_->from,
                          {ev_->room, "End of /NAMES list"});
      return true;
    }
    for (; next_ < roster.size() && out.size() < budget; ++next_) {
      const auto& e = roster[next_];
      const std::string flags = (e.away ? "G" : "H") + prefixes(e, multi_prefix_);
      irc::append_numeric(out, server_, numeric::rpl_whoreply, ev_->from,
                          {ev_->room, e.user, e.host, server_, e.nick, flags, "0 " + e.realname});
    }
    if (next_ < roster.size()) return false;
    irc::append_numeric(out, server_, numeric::rpl_endofwho, ev_->from, {ev_->room, "End of /WHO list"});
    return true;
  }

 private:
  chat::event_ptr ev_;
  std::string server_;
  bool as_names_;
  bool multi_prefix_;
  std::size_t next_ = 0;
};

class list_reply final : public reply_stream {
 public:
  list_reply(list_page page, list_filter wanted, std::string server, std::string target)
      : page_(std::move(page)),
        wanted_(std::move(wanted)),
        server_(std::move(server)),
        target_(std::move(target)) {}

  bool fill(std::string& out, std::size_t budget) override {
    if (!started_) {
      started_ = true;
      irc::append_numeric(out, server_, numeric::rpl_liststart, target_, {"Channel", "Users  Name"});
    }
    for (;;) {
      const auto rooms = page_(after_, kListPage);
      for (const auto& r : rooms) {
        if (out.size() >= budget) return false;  // the next chunk starts after after_
        after_ = protocol::fold_nick(r.name);
        if (r.members > 0 && (!wanted_ || wanted_(r))) {
          irc::append_numeric(out, server_, numeric::rpl_list, target_,
                              {r.name, std::to_string(r.members), r.topic});
        }
      }
      if (rooms.size() < kListPage) {
        irc::append_numeric(out, server_, numeric::rpl_listend, target_, {"End of /LIST"});
        return true;
      }
    }
  }

 private:
  list_page page_;
  list_filter wanted_;
  std::string server_;
  std::string target_;
  std::string after_;  // the folded name of the last room listed
  bool started_ = false;
};

}  // namespace

std::unique_ptr<reply_stream> roster_stream(chat::event_ptr ev, std::string server, bool as_names,
                                            bool multi_prefix) {
  return std::make_unique<roster_reply>(std::move(ev), std::move(server), as_names, multi_prefix);
}

std::unique_ptr<reply_stream> list_stream(list_page page, list_filter wanted, std::string server,
                                          std::string target) {
  return std::make_unique<list_reply>(std::move(page), std::move(wanted), std::move(server),
                                      std::move(target));
}

}  // namespace door
