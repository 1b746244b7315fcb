#include "zenws/actors/recorder.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <utility>

#include <caf/send.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "zenws/actors/connection_protocol.hpp"

namespace zenws {

namespace {

using flush_timer_atom = caf::atom_constant<caf::atom("t_flush")>;

struct file_closer {
  void operator()(std::FILE* f) const { std::fclose(f); }
};
using file_ptr = std::unique_ptr<std::FILE, file_closer>;

} // namespace

struct recorder_data {
  static inline const char* name = "zenws.recorder";

  file_ptr file;
  recorder_options options;
  std::string buffer;
  std::size_t buffered_lines = 0;
  std::uint64_t written = 0;
  bool timer_armed = false;

  recorder_data() = default;
  recorder_data(const recorder_data&) = delete;
  recorder_data& operator=(const recorder_data&) = delete;

  void flush() {
    if (!file || buffer.empty())
      return;
    std::fwrite(buffer.data(), 1, buffer.size(), file.get());
    std::fflush(file.get());
    written += buffered_lines;
    buffer.clear();
    buffered_lines = 0;
  }

  /// However the actor ends, what it holds reaches the file.
  ~recorder_data() { flush(); }
};

namespace {

using recorder_impl = recorder_actor::extend<caf::reacts_to<flush_timer_atom>>;

recorder_impl::behavior_type recorder(recorder_impl::stateful_pointer<recorder_data> self,
                                      const std::shared_ptr<file_ptr>& file,
                                      recorder_options options) {
  self->state.file = std::move(*file);
  self->state.options = options;
  return {
      [=](record_atom, std::string& line) {
        auto& st = self->state;
        st.buffer += line;
        st.buffer += '\n';
        if (++st.buffered_lines >= st.options.flush_lines) {
          st.flush();
        } else if (!st.timer_armed) {
          st.timer_armed = true;
          self->delayed_send(self, st.options.flush_interval, flush_timer_atom::value);
        }
      },
      [=](flush_atom) {
        self->state.flush();
        return self->state.written;
      },
      [=](flush_timer_atom) {
        self->state.timer_armed = false;
        self->state.flush();
      },
  };
}

} // namespace

caf::expected<recorder_actor> spawn_recorder(caf::actor_system& sys, const std::string& path,
                                             recorder_options options) {
  file_ptr file{std::fopen(path.c_str(), "ab")};
  if (!file)
    return make_error(failure{errc::invalid_config,
                              "record_to: cannot open " + path + ": " + std::strerror(errno), 0,
                              0});
  // CAF copies spawn arguments; the file travels in a shared box and is moved out once.
  auto box = std::make_shared<file_ptr>(std::move(file));
  return sys.spawn(recorder, std::move(box), options);
}

} // namespace zenws
