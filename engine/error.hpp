// DNNTRAIN_CHECK, which throws the public dnntrain::Error. Header-only so that data/, which never
// links the engine, throws the same type.
#pragma once

#include <dnntrain/error.hpp>

// DNNTRAIN_CHECK(cond, message): throws dnntrain::Error(message) when cond is false.
// `message` is any expression convertible to std::string; it is only evaluated on failure.
#define DNNTRAIN_CHECK(cond, message)                  \
  do {                                                 \
    if (!(cond)) throw ::dnntrain::Error(message);     \
  } while (false)
