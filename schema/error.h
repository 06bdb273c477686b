#pragma once
// The one base of Palimpsest's exceptions. Every error a user can cause or meet carries, besides
// its one-line message, the exit status a command gives for it and the HTTP status and error code
// the API answers with, so the CLI and the server report every error the same way (cli/app.cpp
// and server/http_server.cpp catch Error; anything else is an internal error: exit 1, HTTP 500).
//
// Header-only, so that every stage can throw it without linking anything.

#include <stdexcept>
#include <string>
#include <utility>

namespace palimpsest {

// How an error is reported. Exit statuses: 0 ok, 1 failure, 2 bad usage (docs/README).
struct ErrorClass {
  int exit_code = 1;
  int http_status = 500;
  const char* code = "internal";  // the API's error.code
};

namespace error_class {
inline constexpr ErrorClass internal{1, 500, "internal"};          // our fault, or the machine's
inline constexpr ErrorClass bad_input{1, 422, "bad_input"};        // a file or document we cannot use
inline constexpr ErrorClass bad_request{2, 400, "bad_request"};    // a malformed argument or request
inline constexpr ErrorClass not_found{1, 404, "not_found"};        // an unknown id or name
inline constexpr ErrorClass unavailable{1, 503, "unavailable"};    // a model, index or engine is missing
}  // namespace error_class

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message, ErrorClass how = error_class::internal)
      : Error(message, how.exit_code, how.http_status, how.code) {}
  Error(const std::string& message, int exit_code, int http_status, std::string code)
      : std::runtime_error(message), exit_code_(exit_code), http_status_(http_status), code_(std::move(code)) {}

  int exit_code() const { return exit_code_; }
  int http_status() const { return http_status_; }
  const std::string& code() const { return code_; }

 private:
  int exit_code_;
  int http_status_;
  std::string code_;
};

}  // namespace palimpsest
