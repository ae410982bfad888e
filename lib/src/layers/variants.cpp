// The registration lists of the attention variants (see gat/layers/variant.hpp): the one place
// that names them all. Each X(name) line refers to `name_score()` or `name_alignment()`,
// defined in lib/src/layers/scores/<name>.cpp or .../alignments/<name>.cpp. The first entry is
// the default. The layer, the CLI help, checkpoints and the tests read these lists; the tests
// fail for a variant that has no reference-value test (tests/layers/variants_test.cpp).

#include "gat/core/error.hpp"
#include "gat/layers/variant.hpp"

#define GAT_SCORE_VARIANTS(X) \
  X(gat)                      \
  X(gatv2)                    \
  X(dot)                      \
  X(scaled_dot)               \
  X(general)                  \
  X(biased_general)           \
  X(activated_general)        \
  X(cosine)

#define GAT_ALIGN_VARIANTS(X) \
  X(softmax)                  \
  X(sparsemax)                \
  X(hard)                     \
  X(local)                    \
  X(uniform)                  \
  X(cardinality)

namespace gat {

#define GAT_DECLARE_SCORE(name) const ScoreVariant& name##_score();
#define GAT_DECLARE_ALIGN(name) const AlignVariant& name##_alignment();
GAT_SCORE_VARIANTS(GAT_DECLARE_SCORE)
GAT_ALIGN_VARIANTS(GAT_DECLARE_ALIGN)
#undef GAT_DECLARE_SCORE
#undef GAT_DECLARE_ALIGN

const std::vector<const ScoreVariant*>& score_variants() {
#define GAT_ENTRY(name) &name##_score(),
  static const std::vector<const ScoreVariant*> list{GAT_SCORE_VARIANTS(GAT_ENTRY)};
#undef GAT_ENTRY
  return list;
}

const std::vector<const AlignVariant*>& alignment_variants() {
#define GAT_ENTRY(name) &name##_alignment(),
  static const std::vector<const AlignVariant*> list{GAT_ALIGN_VARIANTS(GAT_ENTRY)};
#undef GAT_ENTRY
  return list;
}

namespace {

template <typename Variant>
std::string names(const std::vector<const Variant*>& list) {
  std::string out;
  for (const auto* v : list) out += (out.empty() ? "" : ", ") + std::string(v->name);
  return out;
}

template <typename Variant>
const Variant* find(const std::vector<const Variant*>& list, const std::string& name) {
  for (const auto* v : list) {
    if (name == v->name) return v;
  }
  return nullptr;
}

}  // namespace

std::string score_names() { return names(score_variants()); }
std::string alignment_names() { return names(alignment_variants()); }

ScoreFunction parse_score_function(const std::string& name) {
  const auto* v = find(score_variants(), name);
  GAT_CHECK(v, "unknown score function '" << name << "'; choose one of " << score_names());
  return v->id();
}

Alignment parse_alignment(const std::string& name) {
  const auto* v = find(alignment_variants(), name);
  GAT_CHECK(v, "unknown alignment '" << name << "'; choose one of " << alignment_names());
  return v->id();
}

const ScoreVariant& score_variant(ScoreFunction score) {
  const auto* v = find(score_variants(), score.name());
  GAT_CHECK(v, "unknown score function '" << score.name() << "'; choose one of " << score_names());
  return *v;
}

const AlignVariant& align_variant(Alignment align) {
  const auto* v = find(alignment_variants(), align.name());
  GAT_CHECK(v, "unknown alignment '" << align.name() << "'; choose one of " << alignment_names());
  return *v;
}

}  // namespace gat
