// One declaration per command-line option: its name (torchvision's where one exists), the variable
// it fills, its default, range or choices, help text, torchvision's default where ours differs,
// and what --resume (and eval/predict reading a checkpoint) may do with it. Parsing, the checks,
// --help, --help-markdown (the README's option lists), the config file train writes, --config and
// the comparison with a checkpoint's options are all derived from these declarations.
#pragma once

#include <cmath>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <boost/program_options/options_description.hpp>
#include <boost/program_options/variables_map.hpp>

namespace dnntrain::apps {

// What train --resume does with an option the checkpoint recorded.
enum class OnResume {
  fixed,       // defines the run: taken from the checkpoint; a different value is refused
  notice,      // may change, with a notice printed (e.g. extending --epochs)
  may_change,  // this run's value (paths, threads, pacing)
};

// What eval and predict take from a checkpoint's recorded options.
enum class FromCheckpoint {
  none,
  model,          // the model's shape: taken from the checkpoint; a different value is refused
  preprocessing,  // taken from the checkpoint unless given
};

// The declaration of one option; the setters return *this so a declaration reads as one expression:
//   t.add("lr", o.lr).help("base learning rate").positive();
class Option {
 public:
  enum class Type { integer, integer64, unsigned64, real, text, flag };

  Option& help(std::string text);
  Option& range(double min, double max = INFINITY);  // numbers: inclusive bounds
  Option& positive();                                // numbers: also > 0
  Option& choices(std::vector<std::string> names);   // text: one of these
  Option& torchvision(std::string default_text);     // torchvision's default, when ours differs
  Option& on_resume(OnResume rule, std::string why = {});
  Option& from_checkpoint(FromCheckpoint rule);
  Option& per_rank();                     // may differ between the ranks of one mpirun job
  Option& not_stored();                   // not written to the config file (--config, --resume, ...)
  Option& implicit(std::string value);    // text: the value of a bare --name
  Option& alias(std::string name);        // another long name, or a one-letter short name

  const std::string& name() const { return name_; }
  OnResume resume_rule() const { return resume_; }
  const std::string& resume_note() const { return resume_why_; }
  FromCheckpoint checkpoint_rule() const { return checkpoint_; }
  bool stored() const { return stored_; }
  bool is_per_rank() const { return per_rank_; }

  // The current value as the config file writes it (doubles as typed: 0.1, not 0.1000...01).
  std::string text() const;
  // Sets the value from text, checking type and range; throws UsageError naming --name.
  void assign(const std::string& text);
  // The value `text` would give, formatted as text() formats (for comparisons); throws UsageError.
  std::string canonical(const std::string& text) const;

 private:
  friend class OptionTable;
  Option(std::string name, Type type, void* target);
  void check_value() const;

  std::string name_, help_, torchvision_, default_text_, implicit_, resume_why_;
  std::vector<std::string> aliases_, choices_;
  Type type_;
  void* target_;
  double min_ = -INFINITY, max_ = INFINITY;
  bool positive_ = false, stored_ = true, per_rank_ = false, has_implicit_ = false;
  OnResume resume_ = OnResume::fixed;
  FromCheckpoint checkpoint_ = FromCheckpoint::none;
};

// The names of an engine::Named table (or any rows with .name), in table order, for choices().
template <class Table>
std::vector<std::string> names_of(const Table& table) {
  std::vector<std::string> out;
  for (const auto& row : table) out.emplace_back(row.name);
  return out;
}

// A difference between the command line and a checkpoint's recorded options.
struct OptionDifference {
  std::string name, given, recorded;
};

class OptionTable {
 public:
  // `title`: the first lines of --help.
  explicit OptionTable(std::string title);

  Option& add(const std::string& name, int& value);
  Option& add(const std::string& name, int64_t& value);
  Option& add(const std::string& name, uint64_t& value);
  Option& add(const std::string& name, double& value);
  Option& add(const std::string& name, std::string& value);
  Option& flag(const std::string& name, bool& value);  // --name sets true; name=true in a config file
  // Bare words on the command line fill this text list (predict's images).
  void positional(const std::string& name, std::vector<std::string>& values, std::string help);
  // A flag of torchvision's we do not take: an unknown-option error names our equivalent instead.
  void hint(const std::string& name, std::string equivalent);

  // Parses args, and the --config file when the table declares "config" and it is given (the
  // command line wins). --help prints the options, --help-markdown the README's list; both return
  // false. Every value is converted and range-checked. Throws UsageError naming the option.
  bool parse(const std::vector<std::string>& args);

  // True when the option was given on the command line or in --config.
  bool given(const std::string& name) const;
  Option& option(const std::string& name);
  const std::vector<std::unique_ptr<Option>>& options() const { return options_; }

  // The stored options as name=value lines (usable with --config); refuses values that would not
  // read back (control characters, '#', surrounding spaces).
  std::string config_text() const;

  // Applies a checkpoint's recorded options (name -> value): an option whose rule `selects` and
  // that was not given takes the recorded value; one that was given with another value is returned.
  // Options the checkpoint does not record keep this run's value.
  template <class Select>
  std::vector<OptionDifference> take_recorded(const std::map<std::string, std::string>& recorded, Select selects);

  std::string help_text() const;
  std::string markdown() const;

 private:
  Option& declare(const std::string& name, Option::Type type, void* target);

  std::string title_;
  std::vector<std::unique_ptr<Option>> options_;
  std::map<std::string, std::string> hints_;
  std::string positional_name_, positional_help_;
  std::vector<std::string>* positional_ = nullptr;
  boost::program_options::variables_map vm_;
};

// "--lr 0.5 (the checkpoint has 0.1)", one per line, for the refusal message.
std::string describe_differences(const std::vector<OptionDifference>& differences);

template <class Select>
std::vector<OptionDifference> OptionTable::take_recorded(const std::map<std::string, std::string>& recorded,
                                                         Select selects) {
  std::vector<OptionDifference> out;
  for (const auto& o : options_) {
    if (!selects(*o)) continue;
    const auto it = recorded.find(o->name());
    if (it == recorded.end()) continue;
    const std::string value = o->canonical(it->second);
    if (!given(o->name()))
      o->assign(it->second);
    else if (o->text() != value)
      out.push_back({o->name(), o->text(), value});
  }
  return out;
}

}  // namespace dnntrain::apps
