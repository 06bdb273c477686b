#pragma once
// The error for manuscripts (Fountain, plain text) that cannot be read: it names the file, line and
// column so that a writer can go straight to the spot, like a compiler does.

#include <stdexcept>
#include <string>
#include "schema/error.h"

namespace palimpsest {

class ManuscriptError : public Error {
 public:
  // line and column are 1-based; 0 when the problem concerns the whole file (e.g. unreadable).
  // what() reads "script.fountain:12:5: invalid UTF-8", or "script.fountain: cannot open: ..." for
  // whole-file problems.
  ManuscriptError(std::string file, int line, int column, std::string message);

  std::string file;
  int line = 0;
  int column = 0;
  std::string message;
};

}  // namespace palimpsest
