#pragma once
// Checks that every kind of checkpoint (node: checkpoint_test.cpp, graph:
// graph_checkpoint_test.cpp) must pass the same way: its option table read back field by
// field, bad values refused by name, and damaged files refused in one line naming the file.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "gat/io/checkpoint.hpp"
#include "gat/io/safetensors.hpp"
#include "support/io_fixtures.hpp"

namespace gat::test {

/// @brief Each field of an option table is written, and each field written is read: `m` holds
/// every field with a non-default value, and setting any one of them alone in `defaults` (the
/// table's metadata of default options) comes back through `round_trip` (metadata → options →
/// metadata) as set.
inline void expect_each_field_read(
    const CheckpointMetadata& m, const CheckpointMetadata& defaults,
    const std::function<CheckpointMetadata(const CheckpointMetadata&)>& round_trip) {
  EXPECT_EQ(m.size(), defaults.size());
  for (const auto& [key, value] : m) {
    ASSERT_NE(value, defaults.at(key)) << key << ": pick a non-default value";
    CheckpointMetadata one = defaults;
    one[key] = value;
    EXPECT_EQ(round_trip(one), one) << key;
  }
}

/// @brief Each (field, value) is refused by `from_metadata(metadata, "m.safetensors")` with a
/// gat::Error naming the file, the field and the value.
template <typename FromMetadata>
void expect_invalid_values_named(const std::vector<std::pair<std::string, std::string>>& cases,
                                 FromMetadata&& from_metadata) {
  // Not [key, value]: clang before 16 cannot capture a structured binding in a lambda.
  for (const auto& c : cases) {
    const std::string& key = c.first;
    const std::string& value = c.second;
    const CheckpointMetadata metadata = {c};
    EXPECT_THAT(error_message([&] { from_metadata(metadata, "m.safetensors"); }),
                ::testing::AllOf(::testing::HasSubstr("m.safetensors"),
                                 ::testing::HasSubstr("'" + key + "'"),
                                 ::testing::HasSubstr("'" + value + "'")))
        << key << "=" << value;
  }
}

/// One way to damage a valid checkpoint, and what the load must say about it.
struct CheckpointDamage {
  std::string name;
  std::function<void(SafetensorsFile&)> edit;
  std::string expected;
};

/// @brief For each damage: `save(path)` writes a valid checkpoint, the damage is applied to it,
/// and `load(path)` must throw a one-line gat::Error that starts with the path and holds the
/// expected text.
inline void expect_damage_refused(const std::string& path,
                                  const std::function<void(const std::string&)>& save,
                                  const std::function<void(const std::string&)>& load,
                                  const std::vector<CheckpointDamage>& damages) {
  for (const auto& d : damages) {
    save(path);
    edit_safetensors(path, d.edit);
    const std::string message = error_message([&] { load(path); });
    EXPECT_THAT(message, ::testing::AllOf(::testing::StartsWith(path + ": "),
                                          ::testing::HasSubstr(d.expected)))
        << d.name;
    EXPECT_EQ(message.find('\n'), std::string::npos) << d.name;
  }
}

}  // namespace gat::test
