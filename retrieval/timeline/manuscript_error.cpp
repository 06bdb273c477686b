#include "retrieval/timeline/manuscript_error.h"

namespace palimpsest {
namespace {
std::string located(const std::string& file, int line, int column, const std::string& message) {
  if (line <= 0) return file + ": " + message;
  return file + ":" + std::to_string(line) + ":" + std::to_string(column) + ": " + message;
}
}  // namespace

ManuscriptError::ManuscriptError(std::string file_name, int line_number, int column_number, std::string text)
    : Error(located(file_name, line_number, column_number, text), error_class::bad_input),
      file(std::move(file_name)),
      line(line_number),
      column(column_number),
      message(std::move(text)) {}

}  // namespace palimpsest
