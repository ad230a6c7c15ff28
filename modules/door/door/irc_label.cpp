// IRCv3 labeled-response: a command sent with a `label` tag gets its answer
// with that label: on its one line, on a batch around several, or as ACK
// when it has none. Answers from rooms come from their strands, so the door
// asks each room it touched for a fence (room::fence runs once everything
// posted before it has) and sends when the last fence is back; input waits
// meanwhile, so that the next command's answers cannot join this one's.
#include <atomic>
#include <utility>

#include "door/irc_door.hpp"

namespace door {

namespace irc = protocol::irc;

namespace {

// Batch ids: unique per process is enough (they are per connection).
std::string next_batch_id() {
  static std::atomic<std::uint64_t> last{0};
  return "L" + std::to_string(last.fetch_add(1, std::memory_order_relaxed) + 1);
}

// `line` (with CRLF) with `tag` added to its tag section. A line already in
// a batch of its own (a chathistory batch inside a labeled response) keeps
// only its own: nested batches tag their members with the innermost.
void append_tagged(std::string& out, std::string_view line, std::string_view tag) {
  if (tag.starts_with("batch=") && line.starts_with('@')) {
    const auto section = line.substr(0, line.find(' '));
    if (section.starts_with("@batch=") || section.find(";batch=") != std::string_view::npos) {
      out += line;
      return;
    }
  }
  if (line.starts_with('@')) {
    out += '@';
    out += tag;
    out += ';';
    out += line.substr(1);
  } else {
    out += '@';
    out += tag;
    out += ' ';
    out += line;
  }
}

}  // namespace

void irc_door::begin_label(std::string label) {
  if (!label_) {
    // Before labeling_ is stored: deliver() reads label_ only after it.
    auto state = std::make_unique<label_state>();
    const std::lock_guard lock(info_mutex_);
    label_ = std::move(state);
  }
  label_->label = std::move(label);
  label_->touched.clear();
  label_->fences = 0;
  label_->streamed = false;
  {
    const std::lock_guard lock(info_mutex_);
    label_->collected.clear();
  }
  labeling_.store(true, std::memory_order_release);
}

const std::shared_ptr<chat::room>& irc_door::touch(const std::shared_ptr<chat::room>& r) {
  if (!labeled() || !r) return r;
  auto& touched = label_->touched;
  if (std::find(touched.begin(), touched.end(), r) == touched.end()) touched.push_back(r);
  return r;
}

void irc_door::end_label() {
  auto& touched = label_->touched;
  if (touched.empty() && !awaiting_) {
    finish_label(/*resume=*/false);  // still inside the decoder: it goes on by itself
    return;
  }
  // Input waits until the rooms (and a password check) have answered.
  link_.hold_input(true);
  label_->fences = awaiting_ ? 1 : 0;
  fence_touched();
}

void irc_door::fence_touched() {
  auto& touched = label_->touched;
  label_->fences += touched.size();
  for (const auto& r : touched) {
    r->fence([self = self_irc()] {
      self->link_.post([self] {
        auto& fences = self->label_->fences;
        if (fences > 0 && --fences == 0) self->finish_label(/*resume=*/true);
      });
    });
  }
  touched.clear();
}

bool irc_door::collect(const std::string& bytes) {
  const std::lock_guard lock(info_mutex_);
  if (!labeling_.load(std::memory_order_relaxed)) return false;
  label_->collected += bytes;
  return true;
}

void irc_door::finish_label(bool resume) {
  std::string lines;
  {
    const std::lock_guard lock(info_mutex_);
    labeling_.store(false, std::memory_order_release);
    lines.swap(label_->collected);
  }
  if (std::exchange(label_->streamed, false)) {
    // Answered already (label_stream): anything else goes out as it is.
    label_->label.clear();
    if (!lines.empty()) link_.send(std::make_shared<const std::string>(std::move(lines)));
    link_.hold_input(false);
    if (resume && link_.open()) on_bytes({});
    return;
  }
  std::string tag;
  irc::append_tag(tag, "label", label_->label);
  label_->label.clear();
  std::size_t count = 0;
  for (std::size_t at = 0; (at = lines.find("\r\n", at)) != std::string::npos; at += 2) ++count;
  std::string out;
  if (count == 0) {
    append_tagged(out, irc::encode_line({{}, settings_.server_name, "ACK"}, {}), tag);
  } else if (count == 1 || !caps_.has(cap::batch)) {
    // One line carries the label (without batch, only the first can).
    const auto end = lines.find("\r\n") + 2;
    append_tagged(out, std::string_view(lines).substr(0, end), tag);
    out.append(lines, end);
  } else {
    const auto id = next_batch_id();
    append_tagged(out,
                  irc::encode_line({{}, settings_.server_name, "BATCH"}, {"+" + id, "labeled-response"},
                                   irc::last_param::plain),
                  tag);
    const std::string batch_tag = "batch=" + id;
    std::string_view rest = lines;
    while (!rest.empty()) {
      const auto end = rest.find("\r\n") + 2;
      append_tagged(out, rest.substr(0, end), batch_tag);
      rest.remove_prefix(end);
    }
    out += irc::encode_line({{}, settings_.server_name, "BATCH"}, {"-" + id}, irc::last_param::plain);
  }
  link_.send(std::make_shared<const std::string>(std::move(out)));
  link_.hold_input(false);
  if (resume && link_.open()) on_bytes({});  // the commands that waited
}

std::vector<std::string> irc_door::label_stream(std::vector<std::string> lines) {
  if (lines.empty() || !labeled()) return lines;
  label_->streamed = true;
  std::string tag;
  irc::append_tag(tag, "label", label_->label);
  std::vector<std::string> out;
  out.reserve(lines.size() + 2);
  if (lines.size() == 1 || !caps_.has(cap::batch)) {
    std::string first;
    append_tagged(first, lines.front(), tag);
    lines.front() = std::move(first);
    return lines;
  }
  const auto id = next_batch_id();
  std::string start;
  append_tagged(start,
                irc::encode_line({{}, settings_.server_name, "BATCH"}, {"+" + id, "labeled-response"},
                                 irc::last_param::plain),
                tag);
  out.push_back(std::move(start));
  const std::string batch_tag = "batch=" + id;
  for (const auto& line : lines) {
    std::string tagged;
    append_tagged(tagged, line, batch_tag);
    out.push_back(std::move(tagged));
  }
  out.push_back(irc::encode_line({{}, settings_.server_name, "BATCH"}, {"-" + id}, irc::last_param::plain));
  return out;
}

}  // namespace door
