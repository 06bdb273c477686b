#pragma once
// poppler reports problems in a document (a rebuilt cross-reference table, a broken stream)
// through one process-wide callback that prints to stderr by default. This unit installs a
// handler once and routes each message to the PopplerMessages collector active on the calling
// thread (the innermost one), or drops it when none is: nothing reaches stderr. Internal to
// indexer/pdf.

#include <string>
#include <vector>

namespace palimpsest::pdf_detail {

// What the installed handler calls: hands `message` to this thread's collector, if any.
void add_poppler_message(const std::string& message);

class PopplerMessages {
 public:
  static constexpr std::size_t kMaxKept = 8;

  PopplerMessages();   // starts collecting on this thread
  ~PopplerMessages();  // stops; the previous collector (if any) collects again
  PopplerMessages(const PopplerMessages&) = delete;
  PopplerMessages& operator=(const PopplerMessages&) = delete;

  // The first kMaxKept messages, trimmed; total() counts all of them.
  const std::vector<std::string>& kept() const { return kept_; }
  std::size_t total() const { return total_; }
  // "first message (and N more)", or "" when there was none.
  std::string summary() const;

 private:
  friend void add_poppler_message(const std::string& message);
  std::vector<std::string> kept_;
  std::size_t total_ = 0;
  PopplerMessages* previous_ = nullptr;
};

// Installs the handler (idempotent); PopplerMessages' constructor calls it too.
void install_poppler_message_handler();

}  // namespace palimpsest::pdf_detail
