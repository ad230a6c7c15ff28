#include "door/irc_stream.hpp"

#include <algorithm>
#include <array>

#include "protocol/irc_reply.hpp"
#include "protocol/nick.hpp"

namespace door {

namespace irc = protocol::irc;
using irc::numeric;

namespace {

void append_prefixes(std::string& out, const chat::roster_entry& e, bool multi_prefix) {
  if (e.op) out += '@';
  if (e.voice && (multi_prefix || !e.op)) out += '+';
}

std::string prefixes(const chat::roster_entry& e, bool multi_prefix) {
  std::string p;
  append_prefixes(p, e, multi_prefix);
  return p;
}

// The WHO flags: here or gone, '*' for an operator, the prefixes, 'B' for a
// bot (ISUPPORT BOT=B).
std::string who_flags(const chat::roster_entry& e, bool multi_prefix) {
  std::string f = e.away ? "G" : "H";
  if (e.oper) f += '*';
  f += prefixes(e, multi_prefix);
  if (e.bot) f += 'B';
  return f;
}

class roster_reply final : public reply_stream {
 public:
  roster_reply(chat::event_ptr ev, std::string server, roster_format how)
      : ev_(std::move(ev)), server_(std::move(server)), how_(how) {
    if (!how_.as_names && !ev_->text.empty()) {
      const auto comma = ev_->text.find(',');
      fields_ = ev_->text.substr(0, comma);
      if (comma != std::string::npos) token_ = ev_->text.substr(comma + 1, 3);
      if (token_.empty() ||
          !std::all_of(token_.begin(), token_.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        token_ = "0";
      }
      whox_ = true;
    }
  }

  bool fill(std::string& out, std::size_t budget) override {
    const auto& roster = ev_->roster;
    if (how_.as_names) {
      // As many names per 353 as fit a line; a chunk's worth of names at a time.
      std::vector<std::string> names;
      std::size_t bytes = 0;
      for (; next_ < roster.size() && bytes < budget; ++next_) {
        const auto& e = roster[next_];
        // Built in place: no temporary per name (a join storm renders
        // millions of them).
        auto& name = names.emplace_back();
        append_prefixes(name, e, how_.multi_prefix);
        name += e.nick;
        if (how_.hosts && !e.user.empty()) {
          name += '!';
          name += e.user;
          name += '@';
          name += e.host;
        }
        bytes += name.size() + 1;
      }
      if (!names.empty()) {
        const bool secret = ev_->state && ev_->state->secret;
        const std::array<std::string_view, 2> middle{secret ? "@" : "=", ev_->room};
        irc::append_numeric_list(out, server_, numeric::rpl_namreply, ev_->from, middle, names);
      }
      if (next_ < roster.size()) return false;
      irc::append_numeric(out, server_, numeric::rpl_endofnames, ev_->from,
                          {ev_->room, "End of /NAMES list"});
      return true;
    }
    for (; next_ < roster.size() && out.size() < budget; ++next_) {
      const auto& e = roster[next_];
      if (whox_) {
        whox_line(out, e);
      } else {
        irc::append_numeric(
            out, server_, numeric::rpl_whoreply, ev_->from,
            {ev_->room, e.user, e.host, server_, e.nick, who_flags(e, how_.multi_prefix), "0 " + e.realname});
      }
    }
    if (next_ < roster.size()) return false;
    const std::string_view asked =
        ev_->target.empty() ? std::string_view(ev_->room) : std::string_view(ev_->target);
    irc::append_numeric(out, server_, numeric::rpl_endofwho, ev_->from, {asked, "End of /WHO list"});
    return true;
  }

 private:
  // 354: the fields asked for, always in the order t c u i h s n f d l a o r.
  void whox_line(std::string& out, const chat::roster_entry& e) const {
    std::vector<std::string> values;
    bool realname = false;
    for (const char f : std::string_view("tcuihsnfdlaor")) {
      if (fields_.find(f) == std::string::npos) continue;
      switch (f) {
        case 't':
          values.push_back(token_);
          break;
        case 'c':
          values.push_back(ev_->room);
          break;
        case 'u':
          values.push_back(e.user);
          break;
        case 'i':
          values.push_back("255.255.255.255");
          break;  // addresses are not shown
        case 'h':
          values.push_back(e.host);
          break;
        case 's':
          values.push_back(server_);
          break;
        case 'n':
          values.push_back(e.nick);
          break;
        case 'f':
          values.push_back(who_flags(e, how_.multi_prefix));
          break;
        case 'd':
          values.emplace_back("0");
          break;
        case 'l':
          values.push_back(std::to_string(e.idle));
          break;
        case 'a':
          values.push_back(e.account.empty() ? "0" : e.account);
          break;
        case 'o':
          values.emplace_back("n/a");
          break;
        case 'r':
          values.push_back(e.realname);
          realname = true;
          break;
        default:
          break;
      }
    }
    std::vector<std::string_view> params(values.begin(), values.end());
    irc::append_numeric(out, server_, numeric::rpl_whospcrpl, ev_->from, params,
                        realname ? irc::last_param::trailing : irc::last_param::plain);
  }

  chat::event_ptr ev_;
  std::string server_;
  roster_format how_;
  bool whox_ = false;
  std::string fields_;
  std::string token_;
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

std::unique_ptr<reply_stream> roster_stream(chat::event_ptr ev, std::string server, roster_format how) {
  return std::make_unique<roster_reply>(std::move(ev), std::move(server), how);
}

std::unique_ptr<reply_stream> list_stream(list_page page, list_filter wanted, std::string server,
                                          std::string target) {
  return std::make_unique<list_reply>(std::move(page), std::move(wanted), std::move(server),
                                      std::move(target));
}

}  // namespace door
