#include "gat/io/edge_list.hpp"

#include <algorithm>
#include <cctype>
#include <cfloat>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <limits>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "gat/core/error.hpp"
#include "gat/io/input.hpp"
#include "line_stream.hpp"
#include "text.hpp"

namespace gat {
namespace detail {

// The 32-bit node limit as the edge-list reader applies it; external linkage without a public
// header, so that a white-box test can check the message without writing 2^31 ids.
void check_edge_list_node_count(std::int64_t count, const std::string& path, std::int64_t line);

void check_edge_list_node_count(std::int64_t count, const std::string& path, std::int64_t line) {
  io_detail::check_node_count(count, path, line);
}

}  // namespace detail

namespace {

using io_detail::is_space;
using io_detail::LineStream;
using io_detail::looks_numeric;
using io_detail::parse_int;
using io_detail::shown;
using io_detail::trim;

// ---------------------------------------------------------------------------------------------
// Tokens

bool is_int(std::string_view token) {
  std::int64_t v = 0;
  return parse_int(token, v);
}

bool equals_any(std::string_view token, std::initializer_list<std::string_view> names) {
  std::string lower(token);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return std::find(names.begin(), names.end(), lower) != names.end();
}

bool names_source(std::string_view token) {
  return equals_any(token, {"src", "source", "from", "u", "node1", "node_1", "id1", "source_id",
                            "src_id", "from_id", "fromnodeid", "from_node", "sender"});
}

bool names_target(std::string_view token) {
  return equals_any(
      token, {"dst", "target", "to", "v", "node2", "node_2", "id2", "target_id", "dst_id", "to_id",
              "tonodeid", "to_node", "dest", "destination", "receiver"});
}

using Fields = std::vector<std::string_view>;

// The header rule of Header::kAuto (documented at read_edge_list). l2 is null when the file
// has no second line after comments.
bool looks_like_header(const Fields& l1, const Fields* l2) {
  if (l1.size() < 2) return false;
  if (names_source(l1[0]) && names_target(l1[1])) return true;
  if (!l2 || l2->size() < 2) return false;
  if (!is_int(l1[0]) && !is_int(l1[1]) && is_int((*l2)[0]) && is_int((*l2)[1])) return true;
  if (l2->size() != l1.size() || (is_int(l1[0]) && is_int(l1[1]))) return false;
  const bool l1_values = std::all_of(l1.begin() + 2, l1.end(), looks_numeric);
  const bool l2_values = std::all_of(l2->begin() + 2, l2->end(), looks_numeric);
  return !l1_values && l2_values;
}

// ---------------------------------------------------------------------------------------------
// Lines

enum class Separator { kWhitespace, kComma, kTab };

bool ends_with(const std::string& s, std::string_view suffix) {
  if (s.size() < suffix.size()) return false;
  for (std::size_t i = 0; i < suffix.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[s.size() - suffix.size() + i]);
    if (std::tolower(c) != suffix[i]) return false;
  }
  return true;
}

Separator separator_of(EdgeListFormat format, const std::string& path) {
  switch (format) {
    case EdgeListFormat::kWhitespace:
      return Separator::kWhitespace;
    case EdgeListFormat::kCsv:
      return Separator::kComma;
    case EdgeListFormat::kTsv:
      return Separator::kTab;
    case EdgeListFormat::kAuto:
      break;
  }
  std::string name = path;
  if (ends_with(name, ".gz")) name.resize(name.size() - 3);
  if (ends_with(name, ".csv")) return Separator::kComma;
  if (ends_with(name, ".tsv")) return Separator::kTab;
  return Separator::kWhitespace;
}

// Splits the trimmed, non-empty line [p, end) into fields, views into the line. A quoted CSV
// field is unescaped in place ("" → "), which only ever shortens it.
void split(Separator sep, char* p, char* end, Fields& fields, const std::string& path,
           std::int64_t line) {
  fields.clear();
  if (sep == Separator::kWhitespace) {
    while (p < end) {
      const char* start = p;
      while (p < end && !is_space(*p)) ++p;
      fields.emplace_back(start, static_cast<std::size_t>(p - start));
      while (p < end && is_space(*p)) ++p;
    }
    return;
  }
  const char delim = sep == Separator::kComma ? ',' : '\t';
  const auto blank = [delim](char c) { return c != delim && is_space(c); };
  for (;;) {
    const std::size_t column = fields.size() + 1;
    while (p < end && blank(*p)) ++p;
    if (sep == Separator::kComma && p < end && *p == '"') {
      char* out = p;
      const char* in = p + 1;
      bool closed = false;
      while (in < end) {
        if (*in == '"') {
          if (in + 1 < end && in[1] == '"') {
            *out++ = '"';
            in += 2;
            continue;
          }
          closed = true;
          ++in;
          break;
        }
        *out++ = *in++;
      }
      GAT_CHECK(closed, path << ":" << line << ": column " << column
                             << ": quoted field not closed (a field cannot span lines)");
      GAT_CHECK(out > p, path << ":" << line << ": column " << column << " is empty");
      fields.emplace_back(p, static_cast<std::size_t>(out - p));
      p = const_cast<char*>(in);
      while (p < end && blank(*p)) ++p;
      if (p == end) return;
      GAT_CHECK(*p == delim, path << ":" << line << ": column " << column
                                  << ": text after the closing quote: "
                                  << shown(std::string_view(p, static_cast<std::size_t>(end - p))));
      ++p;
      continue;
    }
    auto* stop = static_cast<char*>(std::memchr(p, delim, static_cast<std::size_t>(end - p)));
    const std::string_view field =
        trim(std::string_view(p, static_cast<std::size_t>((stop ? stop : end) - p)));
    GAT_CHECK(!field.empty(), path << ":" << line << ": column " << column << " is empty");
    fields.push_back(field);
    if (!stop) return;
    p = stop + 1;
  }
}

bool is_comment(std::string_view trimmed) { return trimmed[0] == '#' || trimmed[0] == '%'; }

// The number of lines that are neither blank nor comments: an upper bound on E (one more when
// the file has a header), so that the edge arrays are allocated once at their final size.
std::int64_t count_rows(const std::string& path) {
  LineStream stream(path);
  std::int64_t rows = 0;
  char* p = nullptr;
  std::size_t n = 0;
  while (stream.next(p, n)) {
    const std::string_view line = trim(std::string_view(p, n));
    rows += !line.empty() && !is_comment(line);
  }
  return rows;
}

// ---------------------------------------------------------------------------------------------
// Node ids

std::uint64_t mix(std::uint64_t x) {  // splitmix64's finalizer: every input bit moves the slot
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// Integer ids → provisional indices in order of first appearance; renumbered ascending at the
// end. Ids in [0, direct_limit) go through a direct table (4 B per possible id: one cache-friendly
// load for the dense ids most files have); others through an open-addressing hash table.
class IntIds {
 public:
  explicit IntIds(std::int64_t direct_limit) : direct_limit_(direct_limit) {}

  // False when the token is not an integer.
  bool get(std::string_view token, NodeId& index, const std::string& path, std::int64_t line) {
    std::int64_t id = 0;
    if (!parse_int(token, id)) return false;
    if (id >= 0 && id < direct_limit_) {
      const auto at = static_cast<std::size_t>(id);
      if (at >= direct_.size()) {
        const std::size_t grown = std::max<std::size_t>({at + 1, direct_.size() * 2, 1 << 16});
        direct_.resize(std::min(grown, static_cast<std::size_t>(direct_limit_)), -1);
      }
      NodeId& slot = direct_[at];
      if (slot < 0) slot = add(id, path, line);
      index = slot;
      return true;
    }
    if ((used_ + 1) * 2 > slots_.size()) rehash();
    const std::size_t mask = slots_.size() - 1;
    for (std::size_t at = mix(static_cast<std::uint64_t>(id)) & mask;; at = (at + 1) & mask) {
      Slot& slot = slots_[at];
      if (slot.index < 0) {
        slot.index = add(id, path, line);
        slot.key = id;
        ++used_;
        index = slot.index;
        return true;
      }
      if (slot.key == id) {
        index = slot.index;
        return true;
      }
    }
  }

  std::vector<std::int64_t> keys;  // (N) the id of each provisional index

 private:
  struct Slot {
    std::int64_t key = 0;
    NodeId index = -1;  // -1: empty
  };

  NodeId add(std::int64_t id, const std::string& path, std::int64_t line) {
    detail::check_edge_list_node_count(static_cast<std::int64_t>(keys.size()) + 1, path, line);
    keys.push_back(id);
    return static_cast<NodeId>(keys.size() - 1);
  }

  void rehash() {
    std::vector<Slot> old = std::move(slots_);
    slots_.assign(std::max<std::size_t>(old.size() * 2, 1024), Slot{});
    const std::size_t mask = slots_.size() - 1;
    for (const Slot& s : old) {
      if (s.index < 0) continue;
      std::size_t at = mix(static_cast<std::uint64_t>(s.key)) & mask;
      while (slots_[at].index >= 0) at = (at + 1) & mask;
      slots_[at] = s;
    }
  }

  std::int64_t direct_limit_;
  std::vector<NodeId> direct_;  // direct_[id] = index, or -1
  std::vector<Slot> slots_;     // power-of-two size, at most half full
  std::size_t used_ = 0;
};

// String ids → indices in order of first appearance; each distinct string stored once, in
// `names`, and the table holds 8 B per slot (a hash tag and the index).
class StringIds {
 public:
  NodeId get(std::string_view token, const std::string& path, std::int64_t line) {
    if ((used_ + 1) * 2 > slots_.size()) rehash();
    const std::size_t mask = slots_.size() - 1;
    const std::size_t h = std::hash<std::string_view>{}(token);
    const auto tag = static_cast<std::uint32_t>(static_cast<std::uint64_t>(h) >> 32);
    for (std::size_t at = h & mask;; at = (at + 1) & mask) {
      Slot& slot = slots_[at];
      if (slot.index < 0) {
        detail::check_edge_list_node_count(static_cast<std::int64_t>(names.size()) + 1, path, line);
        names.emplace_back(token);
        slot = {tag, static_cast<NodeId>(names.size() - 1)};
        ++used_;
        return slot.index;
      }
      if (slot.tag == tag && names[static_cast<std::size_t>(slot.index)] == token) {
        return slot.index;
      }
    }
  }

  std::vector<std::string> names;  // (N) in order of first appearance

 private:
  struct Slot {
    std::uint32_t tag = 0;
    NodeId index = -1;  // -1: empty
  };

  void rehash() {
    slots_.assign(std::max<std::size_t>(slots_.size() * 2, 1024), Slot{});
    const std::size_t mask = slots_.size() - 1;
    for (std::size_t i = 0; i < names.size(); ++i) {
      const std::size_t h = std::hash<std::string_view>{}(names[i]);
      std::size_t at = h & mask;
      while (slots_[at].index >= 0) at = (at + 1) & mask;
      slots_[at] = {static_cast<std::uint32_t>(static_cast<std::uint64_t>(h) >> 32),
                    static_cast<NodeId>(i)};
    }
  }

  std::vector<Slot> slots_;  // power-of-two size, at most half full
  std::size_t used_ = 0;
};

// ---------------------------------------------------------------------------------------------
// One pass over the file

// Reads the whole file into out (src, dst, values, value_names, report), with ids mapped by
// id_of(token, index, path, line), which returns false for a token it cannot take (a
// non-integer in the integer pass): the pass then stops and returns false.
template <typename IdOf>
bool read_pass(const std::string& requested, const EdgeListOptions& options, std::int64_t rows,
               EdgeList& out, IdOf&& id_of) {
  LineStream stream(requested);
  const std::string& path = stream.path();
  const Separator sep = separator_of(options.format, path);

  out.src.clear();
  out.dst.clear();
  out.src.reserve(static_cast<std::size_t>(rows));
  out.dst.reserve(static_cast<std::size_t>(rows));
  out.values.resize(0, 0);
  out.value_names.clear();
  out.report = {};

  std::int64_t columns = -1;  // K, fixed by the first line after comments
  std::int64_t columns_line = 0;
  EdgeId edges = 0;

  const auto set_columns = [&](const Fields& fields, std::int64_t line) {
    const auto k = static_cast<std::int64_t>(fields.size());
    if (k < 2) {
      const bool commas =
          sep == Separator::kWhitespace && fields[0].find(',') != std::string_view::npos;
      GAT_FAIL(path << ":" << line
                    << ": expected at least 2 columns (source and destination), found 1"
                    << (commas ? " (comma-separated? name the file .csv or read it with "
                                 "EdgeListFormat::kCsv)"
                               : ""));
    }
    columns = k;
    columns_line = line;
    const std::int64_t d = k - 2;
    for (std::int64_t c = 0; c < d; ++c) out.value_names.push_back("value" + std::to_string(c));
    if (d > 0 && options.read_values) out.values.resize(std::max<std::int64_t>(rows, 1), d);
  };

  const auto add_header = [&](const Fields& fields, std::int64_t line) {
    set_columns(fields, line);
    for (std::size_t c = 2; c < fields.size(); ++c) out.value_names[c - 2] = fields[c];
  };

  // False when id_of refused an id.
  const auto add_edge = [&](const Fields& fields, std::int64_t line) {
    if (columns < 0) set_columns(fields, line);
    if (static_cast<std::int64_t>(fields.size()) != columns) {
      GAT_FAIL(path << ":" << line << ": expected " << columns << " columns, found "
                    << fields.size() << " (line " << columns_line << " has " << columns << ")");
    }
    NodeId s = 0;
    NodeId d = 0;
    if (!id_of(fields[0], s, path, line) || !id_of(fields[1], d, path, line)) return false;
    if (columns > 2 && options.read_values) {
      if (edges == out.values.rows()) {
        out.values.conservativeResize(edges + edges / 2 + 16, columns - 2);  // the file grew
      }
      for (std::int64_t c = 2; c < columns; ++c) {
        const std::string_view token = fields[static_cast<std::size_t>(c)];
        if (!io_detail::parse_finite_float(token, out.values(edges, c - 2))) {
          GAT_FAIL(path << ":" << line << ": column " << c + 1 << " ("
                        << out.value_names[static_cast<std::size_t>(c - 2)]
                        << ") is not a finite number: " << shown(token));
        }
      }
    }
    out.src.push_back(s);
    out.dst.push_back(d);
    out.report.self_loops += s == d;
    ++edges;
    return true;
  };

  enum class State { kFirst, kPending, kEdges };
  State state = State::kFirst;
  Fields fields;
  std::vector<std::string> first_text;  // L1, copied while L2 decides whether it is a header
  Fields first;
  std::int64_t first_line = 0;

  char* p = nullptr;
  std::size_t n = 0;
  while (stream.next(p, n)) {
    const std::int64_t line = stream.line_number();
    const std::string_view text = trim(std::string_view(p, n));
    if (text.empty()) {
      ++out.report.blank;
      continue;
    }
    if (is_comment(text)) {
      ++out.report.comments;
      continue;
    }
    char* begin = p + (text.data() - p);
    split(sep, begin, begin + text.size(), fields, path, line);
    if (state == State::kFirst) {
      if (options.header == Header::kYes) {
        add_header(fields, line);
        state = State::kEdges;
        continue;
      }
      if (options.header == Header::kAuto) {
        first_text.assign(fields.begin(), fields.end());
        first.assign(first_text.begin(), first_text.end());
        first_line = line;
        state = State::kPending;
        continue;
      }
    } else if (state == State::kPending) {
      if (looks_like_header(first, &fields)) {
        add_header(first, first_line);
      } else if (!add_edge(first, first_line)) {
        return false;
      }
    }
    state = State::kEdges;
    if (!add_edge(fields, line)) return false;
  }
  if (state == State::kPending) {
    if (looks_like_header(first, nullptr)) {
      add_header(first, first_line);
    } else if (!add_edge(first, first_line)) {
      return false;
    }
  }
  out.report.lines = stream.line_number();
  if (columns > 2 && options.read_values) out.values.conservativeResize(edges, columns - 2);
  return true;
}

// Edges repeating an earlier (src, dst) pair: the sources of each destination, gathered by a
// counting sort (8 B per node and 4 B per edge, no per-edge pair array), sorted, and compared.
EdgeId count_duplicates(NodeId n, const std::vector<NodeId>& src, const std::vector<NodeId>& dst) {
  std::vector<EdgeId> end(static_cast<std::size_t>(n) + 1, 0);
  for (const NodeId d : dst) ++end[static_cast<std::size_t>(d) + 1];
  for (std::size_t i = 1; i < end.size(); ++i) end[i] += end[i - 1];
  // Placing edge k at end[dst]++ leaves end[i] at the end of row i (the start of row i + 1).
  std::vector<NodeId> by_dst(src.size());
  for (std::size_t k = 0; k < src.size(); ++k) {
    by_dst[static_cast<std::size_t>(end[static_cast<std::size_t>(dst[k])]++)] = src[k];
  }
  EdgeId duplicates = 0;
  EdgeId begin = 0;
  for (NodeId i = 0; i < n; ++i) {
    const auto first = by_dst.begin() + begin;
    const auto last = by_dst.begin() + end[static_cast<std::size_t>(i)];
    std::sort(first, last);
    for (auto it = first; it != last && it + 1 != last; ++it) duplicates += it[0] == it[1];
    begin = end[static_cast<std::size_t>(i)];
  }
  return duplicates;
}

}  // namespace

NodeId NodeIds::size() const { return static_cast<NodeId>(integer ? ints.size() : strings.size()); }

std::string NodeIds::name(NodeId i) const {
  GAT_CHECK(i >= 0 && i < size(), "node index " << i << " is outside [0, " << size() << ")");
  const auto at = static_cast<std::size_t>(i);
  return integer ? std::to_string(ints[at]) : strings[at];
}

NodeId NodeIds::find(std::string_view id) const {
  if (integer) {
    std::int64_t value = 0;
    if (!parse_int(trim(id), value)) return -1;
    const auto it = std::lower_bound(ints.begin(), ints.end(), value);
    return it != ints.end() && *it == value ? static_cast<NodeId>(it - ints.begin()) : -1;
  }
  const auto it = std::find(strings.begin(), strings.end(), id);
  return it != strings.end() ? static_cast<NodeId>(it - strings.begin()) : -1;
}

EdgeList read_edge_list(const std::string& path, const EdgeListOptions& options) {
  // Pass 1 counts the rows, so that src and dst are allocated once (a doubling vector would
  // briefly hold up to 3x its size). It costs a second read, i.e. a second decompression.
  const std::int64_t rows = count_rows(path);
  EdgeList out;

  // Pass 2 assumes integer ids. The first id that is not an integer means that every id is a
  // string, spelled as written ("007" is then not "7"), so pass 3 rereads the file.
  bool integer = false;
  std::string first_string;  // the id that ended the integer pass, and its line
  std::int64_t first_string_line = 0;
  {
    IntIds ids(std::max<std::int64_t>(std::int64_t{1} << 20, rows));
    integer = read_pass(
        path, options, rows, out,
        [&](std::string_view token, NodeId& index, const std::string& where, std::int64_t line) {
          if (ids.get(token, index, where, line)) return true;
          first_string = std::string(token);
          first_string_line = line;
          return false;
        });
    if (integer) {
      // Number the ids ascending: sort (id, provisional index) pairs, then relabel in place.
      std::vector<std::pair<std::int64_t, NodeId>> order(ids.keys.size());
      for (std::size_t i = 0; i < order.size(); ++i) {
        order[i] = {ids.keys[i], static_cast<NodeId>(i)};
      }
      std::vector<std::int64_t>().swap(ids.keys);
      std::sort(order.begin(), order.end());
      out.ids.ints.resize(order.size());
      std::vector<NodeId> rank(order.size());
      for (std::size_t r = 0; r < order.size(); ++r) {
        out.ids.ints[r] = order[r].first;
        rank[static_cast<std::size_t>(order[r].second)] = static_cast<NodeId>(r);
      }
      for (NodeId& s : out.src) s = rank[static_cast<std::size_t>(s)];
      for (NodeId& d : out.dst) d = rank[static_cast<std::size_t>(d)];
    }
  }
  if (!integer) {
    StringIds ids;
    read_pass(
        path, options, rows, out,
        [&ids](std::string_view token, NodeId& index, const std::string& where, std::int64_t line) {
          index = ids.get(token, where, line);
          return true;
        });
    out.ids.integer = false;
    out.ids.strings = std::move(ids.names);
    out.report.first_string_id = std::move(first_string);
    out.report.first_string_id_line = first_string_line;
  }
  out.report.duplicates = count_duplicates(out.num_nodes(), out.src, out.dst);
  return out;
}

}  // namespace gat
