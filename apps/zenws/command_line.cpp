#include "command_line.hpp"

namespace zenws::cli {

arguments::arguments(int argc, char** argv, int first) {
  for (int i = first; i < argc; ++i)
    args_.emplace_back(argv[i]);
}

std::string arguments::take() {
  if (empty())
    throw usage_error{"missing argument"};
  return args_[next_++];
}

const std::string& arguments::peek() const {
  static const std::string none;
  return empty() ? none : args_[next_];
}

bool arguments::take_flag(const std::string& flag) {
  if (peek() != flag)
    return false;
  ++next_;
  return true;
}

std::optional<std::string> arguments::take_option(const std::string& option) {
  const auto& arg = peek();
  if (arg == option) {
    ++next_;
    if (empty())
      throw usage_error{option + " needs a value"};
    return args_[next_++];
  }
  if (arg.rfind(option + "=", 0) == 0) {
    ++next_;
    return arg.substr(option.size() + 1);
  }
  return std::nullopt;
}

termination_signals::termination_signals() {
  sigemptyset(&signals_);
  sigaddset(&signals_, SIGINT);
  sigaddset(&signals_, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals_, nullptr);
}

void termination_signals::wait() {
  int received = 0;
  sigwait(&signals_, &received);
}

} // namespace zenws::cli
