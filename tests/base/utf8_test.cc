// Copyright 2026 The fan-out engine authors.

#include "base/utf8.h"

#include <random>
#include <string>

#include "gtest/gtest.h"

namespace fanout {
namespace {

constexpr size_t kValid = absl::string_view::npos;

TEST(Utf8Test, AcceptsWellFormedText) {
  EXPECT_EQ(FindInvalidUtf8(""), kValid);
  EXPECT_EQ(FindInvalidUtf8("plain ASCII, longer than eight bytes"), kValid);
  EXPECT_EQ(FindInvalidUtf8("Comt\xC3\xA9 de Harris, \xE6\x9D\xB1\xE4\xBA\xAC, \xF0\x9F\x8C\xAA"),
            kValid);
  EXPECT_EQ(FindInvalidUtf8("\xEF\xBB\xBF<alert/>"), kValid);       // BOM
  EXPECT_EQ(FindInvalidUtf8("\xF4\x8F\xBF\xBF"), kValid);           // U+10FFFF
  EXPECT_EQ(FindInvalidUtf8("\xED\x9F\xBF"), kValid);               // U+D7FF
  EXPECT_EQ(FindInvalidUtf8(std::string("a\0b", 3)), kValid);       // NUL is UTF-8
}

TEST(Utf8Test, FindsTheFirstBadByte) {
  EXPECT_EQ(FindInvalidUtf8("\xFF"), 0u);
  EXPECT_EQ(FindInvalidUtf8("Harris \xFF County"), 7u);
  EXPECT_EQ(FindInvalidUtf8("0123456789abcdef\x80"), 16u);          // lone continuation
  EXPECT_EQ(FindInvalidUtf8("ab\xC0\xAF"), 2u);                     // overlong '/'
  EXPECT_EQ(FindInvalidUtf8("ab\xE0\x80\xAF"), 2u);                 // overlong, 3 bytes
  EXPECT_EQ(FindInvalidUtf8("ab\xF0\x80\x80\xAF"), 2u);             // overlong, 4 bytes
  EXPECT_EQ(FindInvalidUtf8("ab\xED\xA0\x80"), 2u);                 // surrogate U+D800
  EXPECT_EQ(FindInvalidUtf8("ab\xF4\x90\x80\x80"), 2u);             // above U+10FFFF
  EXPECT_EQ(FindInvalidUtf8("ab\xF5\x80\x80\x80"), 2u);
  EXPECT_EQ(FindInvalidUtf8("ab\xE2\x82"), 2u);                     // truncated at the end
  EXPECT_EQ(FindInvalidUtf8("ab\xE2\x82z"), 2u);                    // truncated in the middle
}

TEST(Utf8Test, XmlCharsRefuseControlsButNotWhitespace) {
  EXPECT_EQ(FindInvalidUtf8("a\tb\nc\rd", /*xml_chars=*/true), kValid);
  EXPECT_EQ(FindInvalidUtf8(std::string("ab\0c", 4), true), 2u);
  EXPECT_EQ(FindInvalidUtf8("ab\x01", true), 2u);
  EXPECT_EQ(FindInvalidUtf8("ab\x1F", true), 2u);
  EXPECT_EQ(FindInvalidUtf8("ab\xEF\xBF\xBE", true), 2u);           // U+FFFE
  EXPECT_EQ(FindInvalidUtf8("ab\xEF\xBF\xBF", true), 2u);           // U+FFFF
  EXPECT_EQ(FindInvalidUtf8("ab\xEF\xBF\xBD", true), kValid);       // U+FFFD
  EXPECT_EQ(FindInvalidUtf8("ab\x01"), kValid);                     // not without xml_chars
}

// A reference decoder written the slow, obvious way: every code point
// encoded in its shortest form must be accepted; random byte strings agree
// with the reference on the first bad offset.
size_t ReferenceFirstInvalid(const std::string& s) {
  size_t i = 0;
  while (i < s.size()) {
    const unsigned char b = s[i];
    int n = b < 0x80 ? 1 : (b >> 5) == 6 ? 2 : (b >> 4) == 14 ? 3 : (b >> 3) == 30 ? 4 : 0;
    if (n == 0 || i + n > s.size()) return i;
    uint32_t cp = n == 1 ? b : b & (0x7F >> n);
    for (int k = 1; k < n; ++k) {
      const unsigned char c = s[i + k];
      if ((c >> 6) != 2) return i;
      cp = (cp << 6) | (c & 0x3F);
    }
    const uint32_t min[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < min[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return i;
    i += n;
  }
  return kValid;
}

TEST(Utf8Test, AgreesWithAReferenceDecoderOnRandomBytes) {
  std::mt19937 rng(7);
  const unsigned char interesting[] = {0x00, 0x41, 0x7F, 0x80, 0xBF, 0xC0, 0xC1, 0xC2, 0xDF,
                                       0xE0, 0xED, 0xEF, 0xF0, 0xF4, 0xF5, 0xFF, 0x9F, 0xA0};
  for (int trial = 0; trial < 200000; ++trial) {
    std::string s(rng() % 12, '\0');
    for (char& c : s) {
      c = static_cast<char>(rng() % 2 ? interesting[rng() % sizeof(interesting)] : rng() % 256);
    }
    ASSERT_EQ(FindInvalidUtf8(s), ReferenceFirstInvalid(s)) << trial;
    const std::string fixed = ToValidUtf8(s);
    ASSERT_EQ(FindInvalidUtf8(fixed), kValid) << trial;
    if (ReferenceFirstInvalid(s) == kValid) {
      ASSERT_EQ(fixed, s);
    }
  }
}

TEST(Utf8Test, ToValidUtf8ReplacesEachBadByte) {
  EXPECT_EQ(ToValidUtf8("a\xFF" "b"), "a\xEF\xBF\xBD" "b");
  EXPECT_EQ(ToValidUtf8("\xC0\xAF"), "\xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_EQ(ToValidUtf8("ok \xC3\xA9"), "ok \xC3\xA9");
}

}  // namespace
}  // namespace fanout
