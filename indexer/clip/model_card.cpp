#include "indexer/clip/model_card.h"

#include <cstdio>

namespace palimpsest {
namespace {

// {{key}} placeholders, filled by render_model_card.
constexpr char kTemplate[] = R"(# {{name}}

A CLIP model imported into Palimpsest's model store by `palimpsest model import`.

| | |
| --- | --- |
| Source | {{source}} |
| Source URL | {{source_url}} |
| Source format | {{format}} |
| Licence | {{licence}} |
| Source SHA-256 | `{{source_sha256}}` |
| Weights | `model.safetensors`, {{weights_dtype}}, {{weights_bytes}} bytes |
| Weights SHA-256 | `{{weights_sha256}}` (the model's identity in a catalog) |
| Imported | {{imported_at}} |

The licence is what the source declared (or what was given with `--licence`); check the
publisher's terms before redistributing the weights.

## Architecture

`{{architecture}}`

- Embedding dimension {{embed_dim}}; images {{image_size}}x{{image_size}}, patches of {{patch}} px;
  text context {{context}} tokens, vocabulary {{vocab}}.
- Activation: {{activation}}. Tokenizer: {{tokenizer}}.
- Preprocessing: resize the short side to {{image_size}} (bicubic), centre crop, mean {{mean}},
  std {{std}}.

## Verification at import

One text and one image embedded through the written folder and compared with {{parity_reference}}:
worst cosine **{{parity_cosine}}**.

## Precision on the importing machine

Probe set: 16 texts and 16 synthetic images; a precision qualifies when every embedding keeps a
cosine >= {{min_cosine}} to fp32. `auto` picks the fastest qualifying one. Machine: {{cpu}}.

| Precision | Images/s | Texts/s | Worst cosine to fp32 | |
| --- | ---: | ---: | ---: | --- |
{{precision_rows}}
model.json asks for **{{precision}}**{{precision_note}}.
)";

std::string fill(std::string text, const std::string& key, const std::string& value) {
  const std::string marker = "{{" + key + "}}";
  for (std::size_t at = text.find(marker); at != std::string::npos;
       at = text.find(marker, at + value.size())) {
    text.replace(at, marker.size(), value);
  }
  return text;
}

std::string number(double v, const char* format) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, format, v);
  return buffer;
}

}  // namespace

std::string render_model_card(const ModelCardInput& in) {
  const ImportedModel& m = *in.model;
  const ClipConfig& c = m.config;
  std::string rows;
  for (const auto& p : m.measured.measured) {
    if (!p.supported) {
      rows += "| " + to_string(p.precision) + " | - | - | - | not supported here: " + p.problem + " |\n";
      continue;
    }
    rows += "| " + to_string(p.precision) + " | " + number(p.images_per_s, "%.1f") + " | " +
            number(p.texts_per_s, "%.1f") + " | " + number(p.min_cosine, "%.5f") + " | " +
            (p.precision == m.measured.chosen ? "chosen by auto" : (p.qualifies ? "" : "below the bar")) +
            " |\n";
  }
  std::string note;
  if (m.precision == "auto") {
    note = " (here: " + to_string(m.measured.chosen) + "; another machine measures again)";
  }
  std::string text = kTemplate;
  const std::pair<const char*, std::string> values[] = {
      {"name", m.name},
      {"source", in.source},
      {"source_url", in.source_url.empty() ? "(a local file)" : in.source_url},
      {"format", m.source_format},
      {"licence", in.licence.empty() ? "unknown (not declared by the source)" : in.licence},
      {"source_sha256", m.source_sha256},
      {"weights_dtype", m.weights_dtype},
      {"weights_bytes", std::to_string(m.weights_bytes)},
      {"weights_sha256", m.weights_sha256},
      {"imported_at", in.imported_at},
      {"architecture", c.describe()},
      {"embed_dim", std::to_string(c.embed_dim)},
      {"image_size", std::to_string(c.image_resolution)},
      {"patch", std::to_string(c.vision_patch_size)},
      {"context", std::to_string(c.context_length)},
      {"vocab", std::to_string(c.vocab_size)},
      {"activation", in.activation == "gelu" ? "exact GELU" : "QuickGELU (x * sigmoid(1.702 x))"},
      {"tokenizer", m.tokenizer == "clip_bpe" ? "CLIP byte-level BPE (bpe_simple_vocab_16e6)" : m.tokenizer},
      {"mean", in.mean},
      {"std", in.std},
      {"parity_reference", m.parity_reference},
      {"parity_cosine", number(m.parity_cosine, "%.6f")},
      {"min_cosine", number(kAutoMinCosine, "%.2f")},
      {"cpu", m.measured.cpu},
      {"precision_rows", rows},
      {"precision", m.precision},
      {"precision_note", note},
  };
  for (const auto& [key, value] : values) text = fill(text, key, value);
  return text;
}

}  // namespace palimpsest
