#pragma once
// Channel names and subscribe params for the benchmarks that subscribe many channels.

#include <cstddef>
#include <string>
#include <vector>

namespace zenws_bench {

/// "book.INSTRUMENT-0.raw", "book.INSTRUMENT-1.raw", ...
inline std::vector<std::string> channels(int n) {
  std::vector<std::string> out;
  out.reserve(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i)
    out.push_back("book.INSTRUMENT-" + std::to_string(i) + ".raw");
  return out;
}

/// Deribit's subscribe params: {"channels":["a","b",...]}.
inline std::string subscribe_params(const std::vector<std::string>& list) {
  std::string p = R"({"channels":[)";
  for (std::size_t i = 0; i < list.size(); ++i)
    p += (i ? ",\"" : "\"") + list[i] + "\"";
  return p + "]}";
}

} // namespace zenws_bench
