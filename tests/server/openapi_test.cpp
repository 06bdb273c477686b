// docs/openapi.yaml describes exactly the routes the server registers.
#include <fstream>
#include <regex>
#include <set>

#include <gtest/gtest.h>

#include "server/documented_routes.h"
#include "tests/common/test_support.h"

namespace palimpsest {
namespace {

// (method, path) pairs from the spec: paths are 2-space indented keys under `paths:`,
// methods 4-space indented keys under them. Enough YAML for our own file.
std::set<std::pair<std::string, std::string>> spec_operations() {
  std::ifstream in(std::string(PALIMPSEST_SOURCE_DIR) + "/docs/openapi.yaml");
  EXPECT_TRUE(in) << "docs/openapi.yaml missing";
  std::set<std::pair<std::string, std::string>> ops;
  std::string line, path;
  bool in_paths = false;
  const std::regex path_re(R"(^  (/[^:]+):\s*$)");
  const std::regex method_re(R"(^    (get|post|put|delete|patch):)");
  std::smatch m;
  while (std::getline(in, line)) {
    if (line == "paths:") { in_paths = true; continue; }
    if (!in_paths) continue;
    if (!line.empty() && line[0] != ' ') break;
    if (std::regex_match(line, m, path_re)) path = m[1];
    else if (std::regex_search(line, m, method_re) && !path.empty()) ops.insert({m[1], path});
  }
  return ops;
}

TEST(OpenApi, DescribesExactlyTheRegisteredRoutes) {
  const auto spec = spec_operations();
  std::set<std::pair<std::string, std::string>> code;
  for (const auto& r : server::documented_routes()) code.insert({r.method, r.path});
  for (const auto& op : code) EXPECT_TRUE(spec.count(op)) << op.first << " " << op.second << " is served but not in docs/openapi.yaml";
  for (const auto& op : spec) EXPECT_TRUE(code.count(op)) << op.first << " " << op.second << " is documented but not served";
  EXPECT_GE(spec.size(), 9u);
}

}  // namespace
}  // namespace palimpsest
