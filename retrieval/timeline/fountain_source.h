#pragma once
// The first pass over a Fountain script, before elements are recognised: boneyard /* */ removed
// (it may span lines and elements), notes [[ ]] found (they may span lines within a paragraph),
// and every line labelled blank, spacer, note-only or hidden. Internal to the Fountain parser.

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "retrieval/timeline/fountain.h"

namespace palimpsest::fountain_detail {

struct SourceLine {
  int number = 0;        // 1-based line in the file
  std::string original;  // as in the file
  std::string text;      // boneyard removed
  std::string bare;      // boneyard and notes removed (for recognising elements and plain text)
  bool hidden = false;     // held only boneyard (and whitespace): as if it were not there
  bool blank = false;      // separates paragraphs
  bool spacer = false;     // exactly two spaces: an empty line that does not end the element
  bool note_only = false;  // holds notes, or part of one, and nothing else
  std::vector<std::size_t> notes;  // indexes into SourceScript::notes of notes opening here

  // 1-based code point column in the file of byte `offset` of `text`.
  int column_of(std::size_t offset) const;

  // (offset in text, offset in original) of each kept piece, for column_of.
  std::vector<std::pair<std::size_t, std::size_t>> pieces;
};

struct SourceScript {
  std::vector<SourceLine> lines;
  std::vector<FountainNote> notes;
};

SourceScript prepare_fountain_source(std::vector<std::string> lines);

}  // namespace palimpsest::fountain_detail
