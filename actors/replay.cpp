#include "zenws/actors/replay.hpp"

#include <fstream>
#include <memory>
#include <utility>

#include <caf/send.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <caf/typed_response_promise.hpp>

#include "zenws/actors/connection_protocol.hpp"

namespace zenws {

caf::expected<recording> read_recording(const std::string& path) {
  std::ifstream in{path};
  if (!in)
    return make_error(failure{errc::invalid_config, "cannot read recording " + path, 0, 0});
  recording rec;
  std::uint64_t number = 0;
  for (std::string line; std::getline(in, line);) {
    ++number;
    if (line.empty())
      continue;
    auto parsed = parse_jsonl(line);
    if (parsed.entry) {
      rec.entries.push_back(std::move(*parsed.entry));
      continue;
    }
    if (rec.bad_lines++ == 0)
      rec.first_error = "line " + std::to_string(number) + ": " + parsed.error.detail;
  }
  return rec;
}

namespace {

using replay_done_atom = caf::atom_constant<caf::atom("t_replayed")>;

/// The message the handler gets for an inbound entry.
caf::message event_of(const record_entry& e) {
  switch (e.type) {
  case record_type::text:
    return caf::make_message(text_frame{e.data});
  case record_type::binary:
    return caf::make_message(binary_frame{e.data});
  case record_type::close:
    break;
  }
  disconnect_info info;
  info.initiator = close_initiator::remote;
  info.code = e.close_code;
  info.reason = e.close_reason;
  info.was_open = true;
  return caf::make_message(disconnected_atom::value, std::move(info));
}

struct replay_data {
  static inline const char* name = "zenws.replay";
  recording rec;
  std::vector<caf::typed_response_promise<replay_report>> waiting;
};

using replay_impl = replay_actor::extend<caf::reacts_to<replay_done_atom>>;

replay_report report_of(const recording& rec) {
  replay_report r;
  const auto summary = summarize(rec.entries);
  r.outbound = summary.outbound;
  r.delivered = summary.inbound;
  r.duration_ms = summary.duration.count();
  return r;
}

replay_impl::behavior_type replay(replay_impl::stateful_pointer<replay_data> self,
                                  const std::shared_ptr<recording>& rec, const caf::actor& handler,
                                  replay_pace pace) {
  self->state.rec = std::move(*rec);
  return {
      [=](replay_atom) {
        const auto& entries = self->state.rec.entries;
        const auto start = entries.empty() ? wall_time{} : entries.front().ts;
        for (const auto& e : entries) {
          if (e.dir != record_dir::in)
            continue;
          // The handler may be dynamically typed: anonymous sends, as the transport's are.
          if (pace == replay_pace::fast || e.ts <= start)
            caf::anon_send(handler, event_of(e));
          else
            caf::delayed_anon_send(handler, e.ts - start, event_of(e));
        }
        // After the last delayed entry: the clock delivers in time order.
        const auto span = entries.empty() ? wall_time::duration{} : entries.back().ts - start;
        if (pace == replay_pace::fast)
          self->send(self, replay_done_atom::value);
        else
          self->delayed_send(self, span, replay_done_atom::value);
        return self->state.waiting.emplace_back(self->make_response_promise<replay_report>());
      },
      [=](replay_done_atom) {
        for (auto& rp : self->state.waiting)
          rp.deliver(report_of(self->state.rec));
        self->state.waiting.clear();
      },
  };
}

} // namespace

replay_actor spawn_replay(caf::actor_system& sys, recording rec, caf::actor handler,
                          replay_pace pace) {
  // CAF copies spawn arguments; a large recording travels in a shared box.
  auto box = std::make_shared<recording>(std::move(rec));
  return sys.spawn(replay, std::move(box), std::move(handler), pace);
}

} // namespace zenws
