// Copyright 2026 The fan-out engine authors.

#ifndef FANOUT_BASE_UTF8_H_
#define FANOUT_BASE_UTF8_H_

#include <cstddef>
#include <string>

#include "absl/strings/string_view.h"

namespace fanout {

// Where `text` stops being well-formed UTF-8 (RFC 3629: no overlong forms,
// no surrogates, nothing above U+10FFFF, no truncated sequence), or
// absl::string_view::npos when all of it is. With `xml_chars`, a code point
// outside XML 1.0's Char production (C0 controls other than tab, LF and CR;
// U+FFFE, U+FFFF) counts as a bad byte too: a document that holds one is
// not well-formed XML.
size_t FindInvalidUtf8(absl::string_view text, bool xml_chars = false);

// `text` with every byte that is not part of well-formed UTF-8 replaced by
// U+FFFD, so that a JSON writer (which must emit UTF-8) never sees one.
std::string ToValidUtf8(absl::string_view text);

}  // namespace fanout

#endif  // FANOUT_BASE_UTF8_H_
