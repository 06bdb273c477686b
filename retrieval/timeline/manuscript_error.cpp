#include "retrieval/timeline/manuscript_error.h"

#include "indexer/text/printable.h"

namespace palimpsest {
namespace {
// One line of at most about 500 characters, whatever the manuscript held where it went wrong.
std::string located(const std::string& file, int line, int column, const std::string& message) {
  const std::string where = printable_excerpt(file, 200);
  const std::string what = printable_excerpt(message, 300);
  if (line <= 0) return where + ": " + what;
  return where + ":" + std::to_string(line) + ":" + std::to_string(column) + ": " + what;
}
}  // namespace

ManuscriptError::ManuscriptError(std::string file_name, int line_number, int column_number, std::string text)
    : Error(located(file_name, line_number, column_number, text), error_class::bad_input),
      file(std::move(file_name)),
      line(line_number),
      column(column_number),
      message(std::move(text)) {}

}  // namespace palimpsest
