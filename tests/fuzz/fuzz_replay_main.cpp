// The main() of a fuzz target built without libFuzzer: runs the target once on each file named
// on the command line (directories: each regular file in them), so the seed corpus and every
// saved crash run as a plain test in every build, sanitized or not.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {

std::vector<std::filesystem::path> inputs_of(const std::filesystem::path& arg) {
  std::vector<std::filesystem::path> files;
  if (std::filesystem::is_directory(arg)) {
    for (const auto& entry : std::filesystem::recursive_directory_iterator(arg))
      if (entry.is_regular_file())
        files.push_back(entry.path());
  } else {
    files.push_back(arg);
  }
  return files;
}

bool run_one(const std::filesystem::path& file) {
  std::ifstream in{file, std::ios::binary};
  if (!in) {
    std::fprintf(stderr, "cannot read %s\n", file.c_str());
    return false;
  }
  const std::string bytes{std::istreambuf_iterator<char>{in}, std::istreambuf_iterator<char>{}};
  // A copy of exactly the input's size, so reading past it is caught by ASan.
  const std::vector<std::uint8_t> data(bytes.begin(), bytes.end());
  LLVMFuzzerTestOneInput(data.data(), data.size());
  return true;
}

} // namespace

int main(int argc, char** argv) {
  std::size_t count = 0;
  for (int i = 1; i < argc; ++i)
    for (const auto& file : inputs_of(argv[i])) {
      if (!run_one(file))
        return 1;
      ++count;
    }
  std::printf("%zu inputs ran without breaking an invariant\n", count);
  // No inputs means a missing corpus, not a pass.
  return count == 0 ? 1 : 0;
}
