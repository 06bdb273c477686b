#pragma once
// A text file compiled into the binary (SQL migrations, JSON schemas), so the executable never
// depends on finding its own source tree at run time.

#include <string_view>
#include <vector>

namespace palimpsest {

struct EmbeddedFile {
  std::string_view name;
  std::string_view content;
};

// Numbered SQL migrations (NNNN_*.sql), in order.
const std::vector<EmbeddedFile>& embedded_migrations();

// The browser viewer's static files (server/web/*).
const std::vector<EmbeddedFile>& embedded_web_files();

// The demo's manuscript (data/demo.fountain), rendered by `palimpsest demo`.
const std::vector<EmbeddedFile>& embedded_demo_files();

}  // namespace palimpsest
