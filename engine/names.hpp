// Name tables: one row per accepted name, beside the type it names, so that the parser, the help
// text and the error message all read the same table (an embedding program too). A row is any
// struct with a `name`; Named<V> is the common {value, name} row.
#pragma once

#include <iterator>
#include <optional>
#include <string>
#include <string_view>

namespace dnntrain::engine {

template <class Value>
struct Named {
  Value value;
  std::string_view name;
};

// The row named `name`, or nullptr.
template <class Table>
auto find_row(const Table& table, std::string_view name) -> decltype(&*std::begin(table)) {
  for (const auto& row : table)
    if (row.name == name) return &row;
  return nullptr;
}

// The value named `name`, or nullopt.
template <class Value, size_t N>
std::optional<Value> find_named(const Named<Value> (&table)[N], std::string_view name) {
  if (const auto* row = find_row(table, name)) return row->value;
  return std::nullopt;
}

// The first name of `value` ("?" when the table lacks it).
template <class Value, size_t N>
std::string_view name_of(const Named<Value> (&table)[N], const Value& value) {
  for (const auto& row : table)
    if (row.value == value) return row.name;
  return "?";
}

// The names in table order, for help text and errors: "a, b or c".
template <class Table>
std::string name_list(const Table& table) {
  std::string out;
  const size_t n = static_cast<size_t>(std::size(table));
  size_t i = 0;
  for (const auto& row : table) {
    if (i > 0) out += i + 1 == n ? " or " : ", ";
    out += row.name;
    ++i;
  }
  return out;
}

}  // namespace dnntrain::engine
