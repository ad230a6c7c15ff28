// A conversation's history (IRCv3 draft/chathistory, with batch,
// server-time and message-tags): asked for on joining a room or opening a
// query, shown with each line's own time before the live lines that came
// meanwhile, and, after a reconnect, only what was missed. The rest of the
// machine: irc_machine.cpp.
#include <algorithm>
#include <charconv>

#include "core/irc_machine.hpp"
#include "protocol/irc.hpp"
#include "protocol/nick.hpp"

namespace client {

namespace {

using protocol::irc::message;

const protocol::irc::tag* find_tag(const message& m, std::string_view key) {
  const auto it = std::find_if(m.tags.begin(), m.tags.end(), [&](const auto& t) { return t.key == key; });
  return it == m.tags.end() ? nullptr : &*it;
}

bool is_history_batch(std::string_view type) {
  return type == "chathistory" || type == "draft/chathistory";
}

// A msgid that can go in a CHATHISTORY line as it is.
bool usable_msgid(std::string_view id) {
  return !id.empty() && id.size() <= 200 && id.find_first_of(" \r\n\0", 0, 4) == std::string_view::npos;
}

}  // namespace

void irc_machine::isupport(const std::vector<std::string>& params) {
  // <nick> <token>... :are supported by this server
  for (std::size_t i = 1; i + 1 < params.size(); ++i) {
    const std::string_view token = params[i];
    if (token == "MONITOR" || token.starts_with("MONITOR=")) monitor_ = true;
    if (token == "-CHATHISTORY") history_limit_ = 0;
    if (!token.starts_with("CHATHISTORY=")) continue;
    const auto value = token.substr(12);
    std::size_t n = 0;
    const auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
    // 0, or no number: no limit said.
    history_limit_ = ec == std::errc() && ptr == value.data() + value.size() ? n : 0;
  }
}

void irc_machine::request_history(effects& out, const std::string& target) {
  if (options_.history_lines <= 0 || !has_cap("draft/chathistory")) return;
  const auto key = protocol::fold_nick(target);
  if (held_.contains(key)) return;  // one request at a time
  auto n = static_cast<std::size_t>(options_.history_lines);
  if (history_limit_ > 0) n = std::min(n, history_limit_);
  const auto last = last_msgid_.find(key);
  const bool after = last != last_msgid_.end() && has_cap("message-tags") && usable_msgid(last->second);
  if (after) {
    // Seen before (a reconnect, or a room left and joined again): what came since.
    send(out, "CHATHISTORY AFTER " + target + " msgid=" + last->second + " " + std::to_string(n));
  } else {
    send(out, "CHATHISTORY LATEST " + target + " * " + std::to_string(n));
  }
  asked_[key] = {n, after, false, 1, 0};
  held_[key];  // live lines wait for the history from now on
  live_since_request_.erase(key);
}

void irc_machine::batch_command(const message& m, effects& out) {
  const auto& p = m.params;
  const std::string_view ref = p[0];
  if (ref.starts_with('+') && ref.size() > 1) {
    if (batches_.size() >= kMaxOpenBatches) return;  // its lines are shown as live ones
    auto& batch = batches_[std::string(ref.substr(1))];
    batch = {};
    batch.type = p.size() > 1 ? p[1] : std::string();
    batch.target = p.size() > 2 ? p[2] : std::string();
  } else if (ref.starts_with('-')) {
    const auto it = batches_.find(std::string(ref.substr(1)));
    if (it == batches_.end()) return;
    const auto batch = std::move(it->second);
    batches_.erase(it);
    if (!is_history_batch(batch.type)) return;
    const auto key = protocol::fold_nick(batch.target);
    if (more_history(out, key, batch)) return;
    // An empty history says nothing.
    const auto asked = asked_.find(key);
    const auto shown = batch.lines + (asked == asked_.end() ? 0 : asked->second.shown);
    if (shown > 0) out.show.push_back(where(batch.target) + look_.dim("-- end of history --"));
    history_done(out, key);
  }
}

bool irc_machine::batch_line(const message& m, effects& out) {
  const auto* tag = find_tag(m, "batch");
  if (tag == nullptr) return false;
  const auto it = batches_.find(tag->value);
  if (it == batches_.end() || !is_history_batch(it->second.type)) return false;
  // Messages only: a JOIN or a NICK of long ago must not change who is
  // where now (and event-playback is not asked for).
  if ((m.command == "PRIVMSG" || m.command == "NOTICE") && m.params.size() >= 2) {
    const auto* time = find_tag(m, "time");
    const auto when = time == nullptr ? std::nullopt : parse_server_time(time->value);
    const auto before = out.show.size();
    message_line(m, out, true, when.value_or(0));
    it->second.lines += out.show.size() - before;
    ++it->second.messages;
    if (const auto* id = find_tag(m, "msgid"); id != nullptr) it->second.last_msgid = id->value;
  }
  return true;
}

bool irc_machine::more_history(effects& out, const std::string& key, const open_batch& batch) {
  const auto it = asked_.find(key);
  if (it == asked_.end() || !it->second.after || !held_.contains(key)) return false;
  auto& asked = it->second;
  const auto n = " " + std::to_string(asked.limit);
  if (batch.messages >= asked.limit && usable_msgid(batch.last_msgid) && asked.pages < kMaxHistoryPages) {
    // A full page: there may be more since.
    ++asked.pages;
    asked.shown += batch.lines;
    send(out, "CHATHISTORY AFTER " + batch.target + " msgid=" + batch.last_msgid + n);
    return true;
  }
  const auto time = last_time_.find(key);
  if (batch.messages == 0 && asked.pages == 1 && !asked.by_time && time != last_time_.end() &&
      usable_msgid(time->second)) {
    // Nothing after our last message, or a server that never had it (a
    // cluster node it did not reach before the one we were on died): from
    // its time, then, and what we have seen already is not shown again.
    asked.by_time = true;
    send(out, "CHATHISTORY AFTER " + batch.target + " timestamp=" + time->second + n);
    return true;
  }
  return false;
}

void irc_machine::history_done(effects& out, const std::string& key) {
  asked_.erase(key);
  const auto it = held_.find(key);
  if (it == held_.end()) return;
  auto later = std::move(it->second);
  held_.erase(it);
  live_since_request_.erase(key);
  out.merge(std::move(later));
}

effects irc_machine::disconnected() {
  effects out;
  while (!held_.empty()) history_done(out, held_.begin()->first);
  batches_.clear();
  return out;
}

void irc_machine::standard_reply(const message& m, effects& out) {
  // FAIL|WARN|NOTE <command> <code> [<context>...] :<description>
  const auto& p = m.params;
  if (p.size() < 3) return;
  const auto& command = p[0];
  const auto& code = p[1];
  const auto& description = p.back();
  if (command == "CHATHISTORY") {
    // The target is among the context, when the server says it.
    std::string target;
    for (std::size_t i = 2; i + 1 < p.size() && target.empty(); ++i) {
      if (held_.contains(protocol::fold_nick(p[i]))) target = p[i];
    }
    const auto line =
        look_.strong(target.empty() ? std::string("No history") : "No history for " + sanitize(target)) +
        look_.dim(": " + sanitize(description) + " (" + sanitize(code) + ")");
    out.show.push_back(line);
    if (m.command != "FAIL") return;
    if (!target.empty()) {
      history_done(out, protocol::fold_nick(target));
    } else {
      while (!held_.empty()) history_done(out, held_.begin()->first);
    }
    return;
  }
  const auto text = sanitize(command + ": " + description);
  out.show.push_back(m.command == "FAIL" ? look_.strong(text) : look_.dim(text));
}

std::string irc_machine::conversation_of(const message& m) const {
  const auto& p = m.params;
  if (p.empty()) return {};
  const auto& cmd = m.command;
  const auto from = std::string_view(m.source).substr(0, m.source.find('!'));
  if (cmd == "PRIVMSG" || cmd == "NOTICE") {
    if (p.size() < 2 || m.source.find('!') == std::string::npos) return {};
    if (is_room(p[0])) return protocol::fold_nick(p[0]);
    return protocol::fold_nick(is_me(from) ? std::string_view(p[0]) : from);
  }
  if ((cmd == "JOIN" || cmd == "PART" || cmd == "KICK" || cmd == "TOPIC" || cmd == "MODE") && is_room(p[0]))
    return protocol::fold_nick(p[0]);
  return {};
}

bool irc_machine::first_sight(const message& m) {
  const auto* id = find_tag(m, "msgid");
  if (id == nullptr || id->value.empty()) return true;
  if (seen_.contains(id->value)) return false;
  seen_.insert(id->value);
  seen_order_.push_back(id->value);
  if (seen_order_.size() > kMaxSeenMsgids) {
    seen_.erase(seen_order_.front());
    seen_order_.pop_front();
  }
  return true;
}

}  // namespace client
