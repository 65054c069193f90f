// error_of(f): runs f, requires it to throw dnntrain::Error, and returns the message, so a test can
// check that the message names the file and the problem.
#pragma once

#include <string>

#include <doctest/doctest.h>

#include "engine/error.hpp"

namespace dnntrain::data::test {

template <class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const dnntrain::Error& e) {
    return e.what();
  }
  FAIL("expected dnntrain::Error");
  return {};
}

}  // namespace dnntrain::data::test
