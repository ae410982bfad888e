#include "gat/data/split.hpp"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "gat/core/error.hpp"
#include "gat/core/random.hpp"

namespace gat {

namespace {

// Streams of the counter-based generator for the two draws of random_split, away from the
// small numbers of gat::RngStream so that a split never shares numbers with training.
constexpr std::uint64_t kStreamSplitTrain = 0x53504c4954000001ULL;  // "SPLIT" 1
constexpr std::uint64_t kStreamSplitRest = 0x53504c4954000002ULL;   // "SPLIT" 2

constexpr const char* kExpectedForm =
    "expected random:TRAIN_PER_CLASS,VAL,TEST (e.g. random:20,500,1000) or random";

// The text of a spec as a message quotes it: cut short, control bytes replaced.
std::string quoted(std::string_view text) {
  constexpr std::size_t kMax = 40;
  std::string out = "'";
  for (std::size_t i = 0; i < text.size() && i < kMax; ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    out += (c < 0x20 || c == 0x7F) ? '?' : static_cast<char>(c);
  }
  if (text.size() > kMax) out += "...";
  return out + "'";
}

std::string_view trim_spaces(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// A whole field as a non-negative integer no larger than `max`; false for anything else.
bool parse_count(std::string_view field, std::int64_t max, std::int64_t& value) {
  field = trim_spaces(field);
  if (field.empty()) return false;
  const char* first = field.data();
  const char* last = first + field.size();
  const auto [ptr, ec] = std::from_chars(first, last, value);
  return ec == std::errc() && ptr == last && value >= 0 && value <= max;
}

// A uniform draw from [0, n), n > 0, for counter `index` of `rng`. The 64-bit remainder is
// biased by at most n / 2^64, far below anything a split of 32-bit node ids could show; unlike
// std::uniform_int_distribution it is the same on every standard library.
std::uint64_t draw_below(const CounterRng& rng, std::uint64_t index, std::uint64_t n) {
  return rng.bits(index) % n;
}

// Moves `count` elements drawn at random without replacement to the front of `pool` (a partial
// Fisher-Yates shuffle) and returns them sorted.
std::vector<NodeId> draw(std::vector<NodeId>& pool, std::size_t count, const CounterRng& rng) {
  const std::size_t n = pool.size();
  for (std::size_t j = 0; j < count; ++j) {
    const std::size_t r = j + static_cast<std::size_t>(draw_below(rng, j, n - j));
    std::swap(pool[j], pool[r]);
  }
  std::vector<NodeId> out(pool.begin(), pool.begin() + static_cast<std::ptrdiff_t>(count));
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

RandomSplitSpec parse_random_split(const std::string& spec) {
  const std::string_view text = trim_spaces(spec);
  RandomSplitSpec out;
  if (text == "random") return out;
  constexpr std::string_view kPrefix = "random:";
  GAT_CHECK(text.substr(0, kPrefix.size()) == kPrefix,
            "invalid split " << quoted(spec) << ": " << kExpectedForm);
  std::string_view rest = text.substr(kPrefix.size());
  std::string_view fields[3];
  for (int i = 0; i < 3; ++i) {
    const std::size_t comma = i < 2 ? rest.find(',') : std::string_view::npos;
    GAT_CHECK(i == 2 || comma != std::string_view::npos,
              "invalid split " << quoted(spec) << ": " << kExpectedForm);
    fields[i] = rest.substr(0, comma);
    if (i < 2) rest.remove_prefix(comma + 1);
  }
  constexpr std::int64_t kMaxNodes = std::numeric_limits<NodeId>::max();
  std::int64_t per_class = 0;
  GAT_CHECK(parse_count(fields[0], std::numeric_limits<int>::max(), per_class) &&
                parse_count(fields[1], kMaxNodes, out.val) &&
                parse_count(fields[2], kMaxNodes, out.test),
            "invalid split " << quoted(spec) << ": " << kExpectedForm
                             << ", with whole numbers from 0 to " << kMaxNodes);
  out.train_per_class = static_cast<int>(per_class);
  return out;
}

Split random_split(const std::vector<std::int32_t>& labels, int num_classes,
                   const RandomSplitSpec& spec, std::uint64_t seed) {
  GAT_CHECK(num_classes >= 1, "random split: need at least one class, got " << num_classes);
  GAT_CHECK(spec.train_per_class >= 0 && spec.val >= 0 && spec.test >= 0,
            "random split: counts must not be negative (train per class "
                << spec.train_per_class << ", val " << spec.val << ", test " << spec.test << ")");
  GAT_CHECK(labels.size() <= static_cast<std::size_t>(std::numeric_limits<NodeId>::max()),
            "random split: " << labels.size() << " nodes do not fit 32-bit node ids");
  const auto n = static_cast<NodeId>(labels.size());

  // Nodes of each class, ascending: the draw depends on the labels alone, not on any order.
  std::vector<std::vector<NodeId>> by_class(static_cast<std::size_t>(num_classes));
  for (NodeId i = 0; i < n; ++i) {
    const std::int32_t c = labels[static_cast<std::size_t>(i)];
    GAT_CHECK(c >= 0 && c < num_classes, "random split: node " << i << " has class " << c
                                                               << ", outside [0, " << num_classes
                                                               << ")");
    by_class[static_cast<std::size_t>(c)].push_back(i);
  }

  Split split;
  std::vector<char> taken(labels.size(), 0);
  const auto per_class = static_cast<std::size_t>(spec.train_per_class);
  for (int c = 0; c < num_classes; ++c) {
    auto& pool = by_class[static_cast<std::size_t>(c)];
    GAT_CHECK(pool.size() >= per_class, "random split: class "
                                            << c << " has " << pool.size() << " node"
                                            << (pool.size() == 1 ? "" : "s") << ", fewer than the "
                                            << per_class << " training nodes per class asked for");
    const CounterRng rng(seed, 0, static_cast<std::uint64_t>(c), kStreamSplitTrain);
    for (const NodeId i : draw(pool, per_class, rng)) {
      split.train.push_back(i);
      taken[static_cast<std::size_t>(i)] = 1;
    }
  }
  std::sort(split.train.begin(), split.train.end());

  std::vector<NodeId> rest;
  rest.reserve(labels.size() - split.train.size());
  for (NodeId i = 0; i < n; ++i) {
    if (!taken[static_cast<std::size_t>(i)]) rest.push_back(i);
  }
  const auto left = static_cast<std::int64_t>(rest.size());
  GAT_CHECK(spec.val <= left && spec.test <= left - spec.val,
            "random split: val " << spec.val << " + test " << spec.test << " nodes asked for, but "
                                 << left << " of the " << n << " nodes remain after the "
                                 << split.train.size() << " training nodes");
  // One draw of val + test nodes, the first val of them for validation: the validation set of a
  // seed does not change when only the test size does.
  const CounterRng rng(seed, 0, 0, kStreamSplitRest);
  const auto num_val = static_cast<std::size_t>(spec.val);
  const auto num_test = static_cast<std::size_t>(spec.test);
  const std::size_t count = num_val + num_test;
  for (std::size_t j = 0; j < count; ++j) {
    const std::size_t r =
        j + static_cast<std::size_t>(draw_below(rng, j, static_cast<std::uint64_t>(left) - j));
    std::swap(rest[j], rest[r]);
  }
  split.val.assign(rest.begin(), rest.begin() + static_cast<std::ptrdiff_t>(num_val));
  split.test.assign(rest.begin() + static_cast<std::ptrdiff_t>(num_val),
                    rest.begin() + static_cast<std::ptrdiff_t>(count));
  std::sort(split.val.begin(), split.val.end());
  std::sort(split.test.begin(), split.test.end());
  return split;
}

void validate_split(const Split& split, NodeId num_nodes) {
  GAT_CHECK(num_nodes >= 0, "split: negative node count " << num_nodes);
  // 0 = in no list yet, else 1 + the index of the list that holds the node.
  std::vector<std::uint8_t> owner(static_cast<std::size_t>(num_nodes), 0);
  const std::vector<NodeId>* lists[3] = {&split.train, &split.val, &split.test};
  constexpr const char* kNames[3] = {"train", "val", "test"};
  for (int k = 0; k < 3; ++k) {
    const auto& list = *lists[k];
    for (std::size_t j = 0; j < list.size(); ++j) {
      const NodeId i = list[j];
      GAT_CHECK(i >= 0 && i < num_nodes, "split: " << kNames[k] << " holds node " << i
                                                   << ", outside [0, " << num_nodes << ")");
      GAT_CHECK(j == 0 || list[j - 1] < i, "split: " << kNames[k] << " is not strictly ascending ("
                                                     << list[j - 1] << " before " << i << ")");
      auto& o = owner[static_cast<std::size_t>(i)];
      GAT_CHECK(o == 0,
                "split: node " << i << " is in both " << kNames[o - 1] << " and " << kNames[k]);
      o = static_cast<std::uint8_t>(k + 1);
    }
  }
}

}  // namespace gat
