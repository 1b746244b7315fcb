// zenws replay: prints a JSONL recording, one entry a line, at the recorded pace or at once,
// and a summary: what a connection saw and sent, to read after an incident.

#include <iostream>
#include <thread>

#include "commands.hpp"
#include "zenws/actors/connection_protocol.hpp"
#include "zenws/actors/replay.hpp"
#include "zenws/protocol/base64.hpp"

namespace zenws::cli {

namespace {

const char* usage = "usage: zenws replay FILE [--pace recorded|fast]\n"
                    "Prints each entry (time, direction, type, data; binary as base64) and a\n"
                    "summary. --pace recorded waits the recorded gaps between entries; fast\n"
                    "(the default) prints at once. Bad lines are skipped and counted.\n";

std::string describe(const record_entry& e) {
  std::string line = format_timestamp(e.ts) + (e.dir == record_dir::in ? " <- " : " -> ");
  switch (e.type) {
  case record_type::text:
    return line + e.data;
  case record_type::binary:
    return line + "[binary] " + base64_encode(e.data);
  case record_type::close:
    break;
  }
  return line + "[close " + std::to_string(e.close_code) + "] " + e.close_reason;
}

int run_replay(arguments& args) {
  std::string path;
  replay_pace pace = replay_pace::fast;
  while (!args.empty()) {
    if (args.take_flag("--help")) {
      std::cout << usage;
      return exit_ok;
    }
    if (auto p = args.take_option("--pace")) {
      if (*p != "recorded" && *p != "fast")
        throw usage_error{"--pace is recorded or fast, got " + *p};
      pace = *p == "recorded" ? replay_pace::recorded : replay_pace::fast;
    } else if (args.peek().rfind("--", 0) == 0) {
      throw usage_error{"unknown option " + args.peek()};
    } else if (path.empty()) {
      path = args.take();
    } else {
      throw usage_error{"unexpected argument " + args.peek()};
    }
  }
  if (path.empty())
    throw usage_error{"replay needs a FILE"};
  auto rec = read_recording(path);
  if (!rec) {
    std::cerr << "zenws replay: " << explain(rec.error()) << "\n";
    return exit_failure;
  }
  const auto& entries = rec->entries;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    if (pace == replay_pace::recorded && i > 0 && entries[i].ts > entries[i - 1].ts)
      std::this_thread::sleep_for(entries[i].ts - entries[i - 1].ts);
    std::cout << describe(entries[i]) << "\n" << std::flush;
  }
  const auto s = summarize(entries);
  std::cout << s.count << " entries (" << s.inbound << " in, " << s.outbound << " out) over "
            << s.duration.count() << " ms";
  if (rec->bad_lines > 0)
    std::cout << "; " << rec->bad_lines << " bad lines skipped, the first: " << rec->first_error;
  std::cout << "\n";
  return rec->bad_lines > 0 ? exit_failure : exit_ok;
}

} // namespace

int replay_command(arguments& args) {
  try {
    return run_replay(args);
  } catch (const usage_error& e) {
    std::cerr << "zenws replay: " << e.message << "\n" << usage;
    return exit_usage;
  }
}

} // namespace zenws::cli
