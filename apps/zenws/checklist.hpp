#pragma once
// The checks a self-verifying command (demo, soak) prints as it goes: "ok" or "FAIL" and what
// was checked, counted so the command can exit non-zero when any failed.

#include <iostream>
#include <string>

namespace zenws::cli {

class checklist {
public:
  void check(bool ok, const std::string& what) {
    std::cout << (ok ? "  ok    " : "  FAIL  ") << what << std::endl;
    failures_ += ok ? 0 : 1;
  }
  int failures() const { return failures_; }

private:
  int failures_ = 0;
};

} // namespace zenws::cli
