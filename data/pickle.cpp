// The pickle machine: a stack, a mark stack and a memo, over the opcodes of protocols 2 to 4
// that plain data uses. Every length is checked against the bytes left before it is read.
#include "data/pickle.hpp"

#include <algorithm>
#include <cstring>

#include "engine/error.hpp"

namespace dnntrain::data {

namespace {

using Value = std::shared_ptr<PickleValue>;

constexpr size_t kMaxDepth = 1 << 20;  // stack entries, marks and memo slots
constexpr int kMaxNesting = 64;        // containers in containers (their destruction recurses)

class Machine {
 public:
  Machine(const std::vector<uint8_t>& data, const std::string& name) : d_(data), name_(name) {}

  Value run() {
    while (true) {
      const uint8_t op = byte();
      switch (op) {
        case 0x80: byte(); break;          // PROTO
        case 0x95: take(8); break;         // FRAME: its length only groups opcodes
        case '.': return finish();         // STOP
        case 'N': push(make(PickleValue::Kind::none)); break;
        case 0x88: case 0x89: {            // NEWTRUE, NEWFALSE
          Value v = make(PickleValue::Kind::boolean);
          v->integer = op == 0x88;
          push(v);
          break;
        }
        case 'J': push_int(static_cast<int32_t>(le(4))); break;  // BININT
        case 'K': push_int(le(1)); break;                        // BININT1
        case 'M': push_int(le(2)); break;                        // BININT2
        case 0x8a: push_long(le(1)); break;                      // LONG1
        case 0x8b: push_long(le(4)); break;                      // LONG4
        case 'G': {                                              // BINFLOAT, big-endian
          const uint8_t* p = take(8);
          uint64_t bits = 0;
          for (int i = 0; i < 8; ++i) bits = bits << 8 | p[i];
          Value v = make(PickleValue::Kind::real);
          std::memcpy(&v->real, &bits, 8);
          push(v);
          break;
        }
        case 'U': case 'C': push_string(PickleValue::Kind::bytes, le(1)); break;  // SHORT_BINSTRING/BYTES
        case 'T': case 'B': push_string(PickleValue::Kind::bytes, le(4)); break;  // BINSTRING, BINBYTES
        case 0x8e: push_string(PickleValue::Kind::bytes, le(8)); break;           // BINBYTES8
        case 0x8c: push_string(PickleValue::Kind::text, le(1)); break;            // SHORT_BINUNICODE
        case 'X': push_string(PickleValue::Kind::text, le(4)); break;             // BINUNICODE
        case 0x8d: push_string(PickleValue::Kind::text, le(8)); break;            // BINUNICODE8
        case ']': push(make(PickleValue::Kind::list)); break;
        case '}': push(make(PickleValue::Kind::dict)); break;
        case ')': push(make(PickleValue::Kind::tuple)); break;
        case '(':
          check(marks_.size() < kMaxDepth, "too many marks");
          marks_.push_back(stack_.size());
          break;
        case 'a': {  // APPEND
          Value v = pop();
          Value list = target(PickleValue::Kind::list);
          nest(*list, *v);
          list->items.push_back(v);
          break;
        }
        case 'e': {  // APPENDS
          std::vector<Value> items = pop_mark();
          Value list = target(PickleValue::Kind::list);
          for (const Value& v : items) nest(*list, *v);
          list->items.insert(list->items.end(), items.begin(), items.end());
          break;
        }
        case 's': {  // SETITEM
          Value v = pop(), k = pop();
          Value dict = target(PickleValue::Kind::dict);
          nest(*dict, *k);
          nest(*dict, *v);
          dict->items.push_back(k);
          dict->items.push_back(v);
          break;
        }
        case 'u': {  // SETITEMS
          std::vector<Value> items = pop_mark();
          check(items.size() % 2 == 0, "SETITEMS with an odd number of entries");
          Value dict = target(PickleValue::Kind::dict);
          for (const Value& v : items) nest(*dict, *v);
          dict->items.insert(dict->items.end(), items.begin(), items.end());
          break;
        }
        case 't': case 'l': case 'd': {  // TUPLE, LIST, DICT from the mark
          Value v = make(op == 't' ? PickleValue::Kind::tuple : op == 'l' ? PickleValue::Kind::list
                                                                          : PickleValue::Kind::dict);
          v->items = pop_mark();
          for (const Value& item : v->items) nest(*v, *item);
          check(op != 'd' || v->items.size() % 2 == 0, "DICT with an odd number of entries");
          push(v);
          break;
        }
        case 0x85: case 0x86: case 0x87: {  // TUPLE1..3
          Value v = make(PickleValue::Kind::tuple);
          v->items.resize(op - 0x84);
          for (size_t i = v->items.size(); i-- > 0;) {
            v->items[i] = pop();
            nest(*v, *v->items[i]);
          }
          push(v);
          break;
        }
        case 'q': put(le(1)); break;       // BINPUT
        case 'r': put(le(4)); break;       // LONG_BINPUT
        case 0x94: put(memo_.size()); break;  // MEMOIZE
        case 'h': get(le(1)); break;       // BINGET
        case 'j': get(le(4)); break;       // LONG_BINGET
        case 'c': {                        // GLOBAL: "module\nname\n"
          const std::string module = line(), name = line();
          push_global(module + " " + name);
          break;
        }
        case 0x93: {  // STACK_GLOBAL
          Value name = pop(), module = pop();
          check(name->kind == PickleValue::Kind::text && module->kind == PickleValue::Kind::text,
                "STACK_GLOBAL needs two strings");
          push_global(module->bytes + " " + name->bytes);
          break;
        }
        case 'R': case 0x81: {  // REDUCE, NEWOBJ: kept as (callable, args)
          Value args = pop(), callable = pop();
          check(args->kind == PickleValue::Kind::tuple, "REDUCE arguments are not a tuple");
          push(reduce(callable, args));
          break;
        }
        case 'b': {  // BUILD: the state is kept with the object
          Value state = pop();
          Value object = top();
          check(object->kind == PickleValue::Kind::reduced && !object->state, "BUILD on a plain value");
          nest(*object, *state);
          object->state = state;
          break;
        }
        default:
          throw Error(name_ + ": unsupported pickle opcode 0x" + hex(op) + " at byte " + std::to_string(pos_ - 1) +
                      "; expected the CIFAR archive's plain data");
      }
    }
  }

 private:
  static std::string hex(uint8_t b) {
    const char* digits = "0123456789abcdef";
    return {digits[b >> 4], digits[b & 15]};
  }
  void check(bool ok, const std::string& what) const {
    if (!ok) throw Error(name_ + ": malformed pickle at byte " + std::to_string(pos_) + ": " + what);
  }
  const uint8_t* take(uint64_t n) {
    if (n > d_.size() - pos_)
      throw Error(name_ + ": truncated pickle: " + std::to_string(n) + " bytes needed at byte " +
                  std::to_string(pos_) + ", " + std::to_string(d_.size() - pos_) + " left");
    const uint8_t* p = d_.data() + pos_;
    pos_ += n;
    return p;
  }
  uint8_t byte() { return *take(1); }
  uint64_t le(int n) {
    const uint8_t* p = take(static_cast<uint64_t>(n));
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; --i) v = v << 8 | p[i];
    return v;
  }
  std::string line() {
    const size_t start = pos_;
    while (pos_ < d_.size() && d_[pos_] != '\n') ++pos_;
    check(pos_ < d_.size(), "GLOBAL name without a newline");
    std::string s(reinterpret_cast<const char*>(d_.data() + start), pos_ - start);
    ++pos_;
    return s;
  }
  static Value make(PickleValue::Kind kind) {
    auto v = std::make_shared<PickleValue>();
    v->kind = kind;
    return v;
  }
  void push(Value v) {
    check(stack_.size() < kMaxDepth, "the stack is too deep");
    stack_.push_back(std::move(v));
  }
  Value pop() {
    check(stack_.size() > (marks_.empty() ? 0 : marks_.back()), "pop from an empty stack");
    Value v = stack_.back();
    stack_.pop_back();
    return v;
  }
  Value top() {
    check(!stack_.empty(), "empty stack");
    return stack_.back();
  }
  std::vector<Value> pop_mark() {
    check(!marks_.empty(), "no mark");
    const size_t at = marks_.back();
    marks_.pop_back();
    std::vector<Value> items(stack_.begin() + static_cast<std::ptrdiff_t>(at), stack_.end());
    stack_.resize(at);
    return items;
  }
  Value target(PickleValue::Kind kind) {
    Value v = top();
    check(v->kind == kind, "append or set on the wrong kind of value");
    return v;
  }
  // `outer` now holds `inner`: bounded nesting, and no value inside itself.
  void nest(PickleValue& outer, const PickleValue& inner) {
    check(&outer != &inner, "a container inside itself");
    outer.depth = std::max(outer.depth, inner.depth + 1);
    check(outer.depth <= kMaxNesting, "containers nested more than " + std::to_string(kMaxNesting) + " deep");
  }
  void push_int(uint64_t v) {
    Value i = make(PickleValue::Kind::integer);
    i->integer = static_cast<int64_t>(v);
    push(i);
  }
  void push_long(uint64_t n) {  // little-endian two's complement of n bytes; at most 8
    check(n <= 8, "an integer of more than 64 bits");
    const uint8_t* p = take(n);
    uint64_t v = 0;
    for (uint64_t i = n; i-- > 0;) v = v << 8 | p[i];
    if (n > 0 && n < 8 && (p[n - 1] & 0x80)) v |= ~uint64_t{0} << (8 * n);
    push_int(v);
  }
  void push_string(PickleValue::Kind kind, uint64_t n) {
    const uint8_t* p = take(n);
    Value s = make(kind);
    s->bytes.assign(reinterpret_cast<const char*>(p), n);
    push(s);
  }
  void push_global(const std::string& name) {
    Value g = make(PickleValue::Kind::global);
    g->bytes = name;
    push(g);
  }
  void put(uint64_t index) {
    check(index < kMaxDepth, "memo index " + std::to_string(index) + " out of bounds");
    if (memo_.size() <= index) memo_.resize(index + 1);
    memo_[index] = top();
  }
  void get(uint64_t index) {
    check(index < memo_.size() && memo_[index], "memo index " + std::to_string(index) + " was never stored");
    push(memo_[index]);
  }
  // _codecs.encode(text, "latin1"): how Python 3 pickles bytes at protocol 2; computed here.
  Value reduce(const Value& callable, const Value& args) {
    if (callable->kind == PickleValue::Kind::global && callable->bytes == "_codecs encode") {
      check(args->items.size() == 2 && args->items[0]->kind == PickleValue::Kind::text &&
                args->items[1]->is_string("latin1"),
            "_codecs.encode with other arguments than (text, 'latin1')");
      Value out = make(PickleValue::Kind::bytes);
      const std::string& s = args->items[0]->bytes;  // UTF-8 of code points < 256
      for (size_t i = 0; i < s.size(); ++i) {
        const auto c = static_cast<uint8_t>(s[i]);
        if (c < 0x80) {
          out->bytes += static_cast<char>(c);
        } else {
          check((c == 0xc2 || c == 0xc3) && i + 1 < s.size(), "latin1 text with a code point above 255");
          out->bytes += static_cast<char>(((c & 0x03) << 6) | (static_cast<uint8_t>(s[++i]) & 0x3f));
        }
      }
      return out;
    }
    Value r = make(PickleValue::Kind::reduced);
    nest(*r, *callable);
    nest(*r, *args);
    r->callable = callable;
    r->args = args;
    return r;
  }
  Value finish() {
    check(stack_.size() == 1 && marks_.empty(), "STOP with " + std::to_string(stack_.size()) + " values left");
    return stack_.back();
  }

  const std::vector<uint8_t>& d_;
  const std::string& name_;
  size_t pos_ = 0;
  std::vector<Value> stack_, memo_;
  std::vector<size_t> marks_;
};

}  // namespace

const PickleValue* PickleValue::find(const std::string& key) const {
  if (kind != Kind::dict) return nullptr;
  for (size_t i = 0; i + 1 < items.size(); i += 2)
    if (items[i]->is_string(key)) return items[i + 1].get();
  return nullptr;
}

bool PickleValue::is_string(const std::string& content) const {
  return (kind == Kind::bytes || kind == Kind::text) && bytes == content;
}

std::shared_ptr<PickleValue> read_pickle(const std::vector<uint8_t>& data, const std::string& name) {
  return Machine(data, name).run();
}

}  // namespace dnntrain::data
