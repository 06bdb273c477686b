#include "indexer/pdf/poppler_messages.h"

#include <mutex>
#include <string_view>

#include <poppler/cpp/poppler-global.h>

namespace palimpsest::pdf_detail {
namespace {

thread_local PopplerMessages* current = nullptr;

void on_poppler_message(const std::string& message, void*) { add_poppler_message(message); }

// poppler's text without its "error: " or "poppler/error (1234): " prefix, trimmed.
std::string trimmed(const std::string& text) {
  std::string_view view = text;
  if (view.starts_with("poppler/")) view.remove_prefix(8);
  if (view.starts_with("error")) {
    const auto colon = view.find(": ");
    if (colon != std::string_view::npos && colon < 24) view.remove_prefix(colon + 2);
  }
  const auto first = view.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return "";
  const auto last = view.find_last_not_of(" \t\r\n");
  return std::string(view.substr(first, last - first + 1));
}

}  // namespace

void add_poppler_message(const std::string& message) {
  if (!current) return;
  ++current->total_;
  if (current->kept_.size() < PopplerMessages::kMaxKept) current->kept_.push_back(trimmed(message));
}

void install_poppler_message_handler() {
  static std::once_flag once;
  std::call_once(once, [] { poppler::set_debug_error_function(on_poppler_message, nullptr); });
}

PopplerMessages::PopplerMessages() : previous_(current) {
  install_poppler_message_handler();
  current = this;
}

PopplerMessages::~PopplerMessages() { current = previous_; }

std::string PopplerMessages::summary() const {
  if (kept_.empty()) return "";
  std::string text = kept_.front();
  if (total_ > 1) text += " (and " + std::to_string(total_ - 1) + " more)";
  return text;
}

}  // namespace palimpsest::pdf_detail
