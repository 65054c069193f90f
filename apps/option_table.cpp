// The option table: Boost.Program_options reads every option as text, this file converts and
// checks it against its declaration, and derives --help, --help-markdown and the config text.
#include "apps/option_table.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <boost/program_options.hpp>
#include <charconv>
#include <cstdlib>
#include <iostream>

#include "apps/command.hpp"
#include "apps/config_file.hpp"
#include "engine/names.hpp"
#include "engine/utf8.hpp"

namespace dnntrain::apps {

namespace po = boost::program_options;

namespace {

std::string format_real(double v) { return fmt::format("{}", v); }

template <class T>
bool parse_int(const std::string& text, T& out) {
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return !text.empty() && ec == std::errc() && end == text.data() + text.size();
}

bool parse_real(const std::string& text, double& out) {
  if (text.empty() || std::isspace(static_cast<unsigned char>(text[0]))) return false;
  char* end = nullptr;
  out = std::strtod(text.c_str(), &end);
  return end == text.c_str() + text.size();
}

// Levenshtein distance, for "did you mean" on an unknown option.
size_t distance(const std::string& a, const std::string& b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = up;
    }
  }
  return row[b.size()];
}

const char* resume_word(OnResume r) {
  switch (r) {
    case OnResume::fixed: return "from the checkpoint";
    case OnResume::notice: return "may change (notice)";
    case OnResume::may_change: return "may change";
  }
  return "";
}

}  // namespace

Option::Option(std::string name, Type type, void* target) : name_(std::move(name)), type_(type), target_(target) {
  default_text_ = text();
  if (type_ == Type::integer || type_ == Type::integer64) min_ = 0;  // counts and sizes, unless declared
  if (type_ == Type::real) min_ = 0;
}

Option& Option::help(std::string text) { help_ = std::move(text); return *this; }
Option& Option::range(double min, double max) { min_ = min; max_ = max; return *this; }
Option& Option::positive() { positive_ = true; return *this; }
Option& Option::choices(std::vector<std::string> names) { choices_ = std::move(names); return *this; }
Option& Option::torchvision(std::string default_text) { torchvision_ = std::move(default_text); return *this; }
Option& Option::on_resume(OnResume rule, std::string why) {
  resume_ = rule;
  resume_why_ = std::move(why);
  return *this;
}
Option& Option::from_checkpoint(FromCheckpoint rule) { checkpoint_ = rule; return *this; }
Option& Option::per_rank() { per_rank_ = true; return *this; }
Option& Option::not_stored() { stored_ = false; resume_ = OnResume::may_change; return *this; }
Option& Option::implicit(std::string value) { implicit_ = std::move(value); has_implicit_ = true; return *this; }
Option& Option::alias(std::string name) { aliases_.push_back(std::move(name)); return *this; }

std::string Option::text() const {
  switch (type_) {
    case Type::integer: return std::to_string(*static_cast<int*>(target_));
    case Type::integer64: return std::to_string(*static_cast<int64_t*>(target_));
    case Type::unsigned64: return std::to_string(*static_cast<uint64_t*>(target_));
    case Type::real: return format_real(*static_cast<double*>(target_));
    case Type::text: return *static_cast<std::string*>(target_);
    case Type::flag: return *static_cast<bool*>(target_) ? "true" : "false";
  }
  return {};
}

void Option::check_value() const {
  if (type_ == Type::text) {
    const std::string& v = *static_cast<std::string*>(target_);
    if (!choices_.empty() && std::find(choices_.begin(), choices_.end(), v) == choices_.end()) {
      std::vector<std::string> named;  // an empty choice ("none") is said apart
      for (const auto& c : choices_)
        if (!c.empty()) named.push_back(c);
      std::string list;
      for (size_t i = 0; i < named.size(); ++i)
        list += (i == 0 ? "" : i + 1 == named.size() ? " or " : ", ") + named[i];
      if (named.size() < choices_.size()) list += " (or empty: none)";
      throw UsageError(fmt::format("--{} must be {}, got '{}'", name_, list, v));
    }
    return;
  }
  double v = 0;
  switch (type_) {
    case Type::integer: v = *static_cast<int*>(target_); break;
    case Type::integer64: v = static_cast<double>(*static_cast<int64_t*>(target_)); break;
    case Type::real: v = *static_cast<double*>(target_); break;
    default: return;  // unsigned64 spans its whole type; flags have two values
  }
  if (!std::isfinite(v)) throw UsageError(fmt::format("--{} must be a finite number, got {}", name_, v));
  if (positive_ && !(v > 0)) throw UsageError(fmt::format("--{} must be positive, got {}", name_, v));
  if (v < min_ || v > max_)
    throw UsageError(std::isinf(max_) ? fmt::format("--{} must be >= {}, got {}", name_, min_, v)
                                      : fmt::format("--{} must be in [{}, {}], got {}", name_, min_, max_, v));
}

void Option::assign(const std::string& text) {
  bool ok = true;
  const char* expected = "an integer";
  switch (type_) {
    case Type::integer: ok = parse_int(text, *static_cast<int*>(target_)); break;
    case Type::integer64: ok = parse_int(text, *static_cast<int64_t*>(target_)); break;
    case Type::unsigned64:
      expected = "an integer in [0, 18446744073709551615]";
      ok = parse_int(text, *static_cast<uint64_t*>(target_));
      break;
    case Type::real: expected = "a number"; ok = parse_real(text, *static_cast<double*>(target_)); break;
    case Type::text: *static_cast<std::string*>(target_) = text; break;
    case Type::flag:
      expected = "true or false";
      ok = text == "true" || text == "false" || text == "1" || text == "0";
      if (ok) *static_cast<bool*>(target_) = text == "true" || text == "1";
      break;
  }
  if (!ok) throw UsageError(fmt::format("--{} must be {}, got '{}'", name_, expected, text));
  check_value();
}

std::string Option::canonical(const std::string& text) const {
  // The value, converted and formatted on a scratch copy of the target.
  int i = 0;
  int64_t l = 0;
  uint64_t u = 0;
  double d = 0;
  std::string s;
  bool b = false;
  void* scratch = nullptr;
  switch (type_) {
    case Type::integer: scratch = &i; break;
    case Type::integer64: scratch = &l; break;
    case Type::unsigned64: scratch = &u; break;
    case Type::real: scratch = &d; break;
    case Type::text: scratch = &s; break;
    case Type::flag: scratch = &b; break;
  }
  Option copy = *this;
  copy.target_ = scratch;
  copy.assign(text);
  return copy.text();
}

OptionTable::OptionTable(std::string title) : title_(std::move(title)) {}

Option& OptionTable::declare(const std::string& name, Option::Type type, void* target) {
  for (const auto& o : options_)
    if (o->name() == name) throw std::logic_error("option --" + name + " declared twice");
  options_.push_back(std::unique_ptr<Option>(new Option(name, type, target)));
  return *options_.back();
}

Option& OptionTable::add(const std::string& name, int& v) { return declare(name, Option::Type::integer, &v); }
Option& OptionTable::add(const std::string& name, int64_t& v) { return declare(name, Option::Type::integer64, &v); }
Option& OptionTable::add(const std::string& name, uint64_t& v) { return declare(name, Option::Type::unsigned64, &v); }
Option& OptionTable::add(const std::string& name, double& v) { return declare(name, Option::Type::real, &v); }
Option& OptionTable::add(const std::string& name, std::string& v) { return declare(name, Option::Type::text, &v); }
Option& OptionTable::flag(const std::string& name, bool& v) {
  return declare(name, Option::Type::flag, &v).on_resume(OnResume::fixed);
}

void OptionTable::positional(const std::string& name, std::vector<std::string>& values, std::string help) {
  positional_name_ = name;
  positional_ = &values;
  positional_help_ = std::move(help);
}

void OptionTable::hint(const std::string& name, std::string equivalent) { hints_[name] = std::move(equivalent); }

Option& OptionTable::option(const std::string& name) {
  for (const auto& o : options_)
    if (o->name() == name) return *o;
  throw std::logic_error("no option --" + name);
}

bool OptionTable::given(const std::string& name) const { return vm_.count(name) > 0; }

bool OptionTable::parse(const std::vector<std::string>& args) {
  po::options_description desc;
  desc.add_options()("help,h", "")("help-markdown", "");
  for (const auto& o : options_) {
    std::string names = o->name();
    for (const auto& a : o->aliases_) names += "," + a;
    auto* value = po::value<std::string>();
    if (o->type_ == Option::Type::flag) value->implicit_value("true");
    if (o->has_implicit_) value->implicit_value(o->implicit_);
    desc.add_options()(names.c_str(), value, "");
  }
  po::positional_options_description positional;
  if (positional_) {
    desc.add_options()(positional_name_.c_str(), po::value<std::vector<std::string>>(positional_), "");
    positional.add(positional_name_.c_str(), -1);
  }
  try {
    po::command_line_parser parser(args);
    parser.options(desc);
    if (positional_) parser.positional(positional);
    const po::parsed_options parsed = parser.run();
    for (const auto& option : parsed.options)
      if (option.string_key.empty() || (option.position_key >= 0 && !positional_))
        throw UsageError(fmt::format("unexpected argument '{}'; every value follows its --option",
                                     option.value.empty() ? "" : option.value.front()));
    po::store(parsed, vm_);
    if (vm_.count("help")) {
      std::cout << help_text();
      return false;
    }
    if (vm_.count("help-markdown")) {
      std::cout << markdown();
      return false;
    }
    if (vm_.count("config")) store_config_file(vm_["config"].as<std::string>(), desc, vm_);
    po::notify(vm_);
  } catch (const po::unknown_option& e) {
    std::string name = e.get_option_name();
    while (!name.empty() && name[0] == '-') name.erase(0, 1);
    if (const auto eq = name.find('='); eq != std::string::npos) name.resize(eq);
    if (const auto it = hints_.find(name); it != hints_.end())
      throw UsageError(fmt::format("--{} is torchvision's, not taken here: {}", name, it->second));
    std::string close;
    for (const auto& o : options_)
      if (distance(o->name(), name) <= 2) close = o->name();
    throw UsageError(fmt::format("unrecognised option '--{}'{}; 'dnntrain <command> --help' lists the options",
                                 name, close.empty() ? "" : fmt::format(" (did you mean --{}?)", close)));
  }
  for (const auto& o : options_)
    if (vm_.count(o->name())) o->assign(vm_[o->name()].as<std::string>());
    else o->check_value();
  return true;
}

std::string OptionTable::config_text() const {
  std::string out;
  for (const auto& o : options_) {
    if (!o->stored()) continue;
    const std::string v = o->text();
    if (const std::string problem = engine::name_problem(v); !problem.empty())
      throw UsageError(fmt::format("--{}: the value {}; the config and checkpoint files could not hold it",
                                   o->name(), problem));
    if (v.find('#') != std::string::npos || (!v.empty() && (std::isspace(static_cast<unsigned char>(v.front())) ||
                                                           std::isspace(static_cast<unsigned char>(v.back())))))
      throw UsageError(
          fmt::format("--{}: '{}' does not read back from the config file train writes ('#' starts a comment "
                      "there and surrounding spaces are dropped); choose a value without them",
                      o->name(), v));
    out += o->name() + "=" + v + "\n";
  }
  return out;
}

namespace {

std::string default_note(const std::string& default_text, const std::string& tv) {
  std::string note = default_text.empty() ? "" : "default " + default_text;
  if (!tv.empty()) note += (note.empty() ? "" : "; ") + std::string("torchvision's: ") + tv;
  return note;
}

// `text` broken at spaces into lines of at most `width` columns, continuation lines indented.
std::string wrap(const std::string& text, size_t indent, size_t width) {
  std::string out;
  size_t column = indent, start = 0;
  while (start < text.size()) {
    size_t end = text.find(' ', start);
    if (end == std::string::npos) end = text.size();
    const std::string word = text.substr(start, end - start);
    if (column > indent && column + 1 + word.size() > width) {
      out += "\n" + std::string(indent, ' ');
      column = indent;
    } else if (column > indent) {
      out += ' ';
      ++column;
    }
    out += word;
    column += word.size();
    start = end + 1;
  }
  return out;
}

std::string names_text(const std::string& name, const std::vector<std::string>& aliases) {
  std::string s = "--" + name;
  for (const auto& a : aliases) s += (a.size() == 1 ? ", -" : ", --") + a;
  return s;
}

}  // namespace

std::string OptionTable::help_text() const {
  std::string out = title_ + "\n";
  for (const auto& o : options_) {
    std::string left = "  " + names_text(o->name(), o->aliases_);
    if (o->type_ != Option::Type::flag) left += o->has_implicit_ ? "[=VALUE]" : " VALUE";
    std::string right = o->help_;
    if (!o->choices_.empty()) {
      std::string list;
      for (const auto& c : o->choices_) list += (list.empty() ? "" : "|") + c;
      right += " [" + list + "]";
    }
    const std::string note = default_note(o->type_ == Option::Type::flag ? "" : o->default_text_, o->torchvision_);
    if (!note.empty()) right += " (" + note + ")";
    out += left.size() < 30 ? fmt::format("{:<30}", left) : left + "\n" + std::string(30, ' ');
    out += wrap(right, 30, 110) + "\n";
  }
  if (positional_) out += fmt::format("  {:<28}{}\n", positional_name_ + "...", positional_help_);
  out += "  --help, -h                  this help; --help-markdown: the same as a Markdown table\n";
  return out;
}

std::string OptionTable::markdown() const {
  // The last column says what a checkpoint does to the option, where the command reads one.
  bool resume = false, checkpoint = false, reads_checkpoint = false;
  for (const auto& o : options_) {
    resume = resume || o->name() == "resume";
    reads_checkpoint = reads_checkpoint || o->name() == "checkpoint";
    checkpoint = checkpoint || o->checkpoint_ != FromCheckpoint::none;
  }
  checkpoint = checkpoint && reads_checkpoint && !resume;
  std::string out = resume       ? "| option | default | meaning | on --resume |\n|---|---|---|---|\n"
                    : checkpoint ? "| option | default | meaning | from --checkpoint |\n|---|---|---|---|\n"
                                 : "| option | default | meaning |\n|---|---|---|\n";
  for (const auto& o : options_) {
    std::string meaning = o->help_;
    if (!o->choices_.empty()) {
      std::string list;
      for (const auto& c : o->choices_) list += (list.empty() ? "" : ", ") + ("`" + c + "`");
      meaning += " (" + list + ")";
    }
    if (!o->torchvision_.empty()) meaning += "; torchvision's default: " + o->torchvision_;
    std::string last;
    if (resume) {
      last = o->stored() ? resume_word(o->resume_) : "not recorded";
      if (!o->resume_why_.empty()) last += ": " + o->resume_why_;
    } else if (checkpoint) {
      last = o->checkpoint_ == FromCheckpoint::model           ? "taken; another value is refused"
             : o->checkpoint_ == FromCheckpoint::preprocessing ? "taken unless given"
                                                               : "";
    }
    std::string def = o->type_ == Option::Type::flag ? "off" : o->default_text_;
    for (std::string* cell : {&meaning, &def, &last})
      for (size_t p = 0; (p = cell->find('|', p)) != std::string::npos; p += 2) cell->replace(p, 1, "\\|");
    out += fmt::format("| `{}` | {} | {}", names_text(o->name(), o->aliases_), def.empty() ? "" : "`" + def + "`",
                       meaning);
    out += resume || checkpoint ? " | " + last + " |\n" : " |\n";
  }
  if (positional_) out += fmt::format("| `{}...` |  | {} |{}\n", positional_name_, positional_help_,
                                      resume || checkpoint ? "  |" : "");
  return out;
}

std::string describe_differences(const std::vector<OptionDifference>& differences) {
  std::string out;
  for (const auto& d : differences)
    out += fmt::format("{}--{} {} (the checkpoint has {})", out.empty() ? "" : ", ", d.name,
                       d.given.empty() ? "''" : d.given, d.recorded.empty() ? "''" : d.recorded);
  return out;
}

}  // namespace dnntrain::apps
