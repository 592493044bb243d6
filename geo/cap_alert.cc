// Copyright 2026 The fan-out engine authors.

#include "geo/cap_alert.h"

#include <algorithm>
#include <cstring>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "base/utf8.h"
#include "pugixml.hpp"

namespace fanout {
namespace {

constexpr char kCap11[] = "urn:oasis:names:tc:emergency:cap:1.1";
constexpr char kCap12[] = "urn:oasis:names:tc:emergency:cap:1.2";

absl::string_view LocalName(const char* name) {
  const char* colon = std::strchr(name, ':');
  return colon == nullptr ? absl::string_view(name) : absl::string_view(colon + 1);
}

absl::string_view Prefix(const char* name) {
  const char* colon = std::strchr(name, ':');
  return colon == nullptr ? absl::string_view() : absl::string_view(name, colon - name);
}

// The namespace URI bound to the element's prefix, looking at the element
// and its ancestors (pugixml has no namespace support of its own).
std::string NamespaceOf(pugi::xml_node node) {
  std::string attr = "xmlns";
  absl::string_view prefix = Prefix(node.name());
  if (!prefix.empty()) absl::StrAppend(&attr, ":", prefix);
  for (pugi::xml_node n = node; n; n = n.parent()) {
    if (n.type() != pugi::node_element) break;
    pugi::xml_attribute a = n.attribute(attr.c_str());
    if (a) return a.value();
  }
  return "";
}

// Text content of a simple element, with surrounding whitespace removed
// (CAP values are often pretty-printed across lines).
std::string Text(pugi::xml_node node) {
  std::string out;
  for (pugi::xml_node c = node.first_child(); c; c = c.next_sibling()) {
    if (c.type() == pugi::node_pcdata || c.type() == pugi::node_cdata) out += c.value();
  }
  return std::string(absl::StripAsciiWhitespace(out));
}

// kInvalidArgument for the byte at `offset` of `xml`, with its line.
absl::Status NotWellFormedAt(absl::string_view xml, size_t offset, absl::string_view why) {
  const size_t line = 1 + std::count(xml.begin(), xml.begin() + offset, '\n');
  return absl::InvalidArgumentError(
      absl::StrFormat("not well-formed XML at byte %d (line %d): %s (byte 0x%02X)", offset, line,
                      why, static_cast<unsigned char>(xml[offset])));
}

// XML 1.0 (section 2.2) allows only its Char production, in the document's
// encoding. The raw bytes of a UTF-8 document are checked before anything
// is read from them; `FirstBadNode` then checks what pugixml decoded (other
// encodings, and character references such as "&#1;", which the raw bytes
// do not show). Either way the whole document is refused, wherever the bad
// character is: an alert is never resolved from text that is not XML.
bool IsWellFormedText(const char* text) {
  return FindInvalidUtf8(text, /*xml_chars=*/true) == absl::string_view::npos;
}

// Document order without recursion: a hostile document may nest elements
// a million deep.
pugi::xml_node FirstBadNode(const pugi::xml_document& doc) {
  pugi::xml_node n = doc.first_child();
  while (n) {
    if (!IsWellFormedText(n.name()) || !IsWellFormedText(n.value())) return n;
    for (pugi::xml_attribute a = n.first_attribute(); a; a = a.next_attribute()) {
      if (!IsWellFormedText(a.name()) || !IsWellFormedText(a.value())) return n;
    }
    if (n.first_child()) {
      n = n.first_child();
      continue;
    }
    while (n && !n.next_sibling()) n = n.parent();
    if (n) n = n.next_sibling();
  }
  return pugi::xml_node();
}

class Walker {
 public:
  explicit Walker(std::string ns) : ns_(std::move(ns)) {}

  bool IsCap(pugi::xml_node n, absl::string_view local) const {
    return n.type() == pugi::node_element && LocalName(n.name()) == local && NamespaceOf(n) == ns_;
  }
  std::string ChildText(pugi::xml_node parent, absl::string_view local) const {
    for (pugi::xml_node c = parent.first_child(); c; c = c.next_sibling()) {
      if (IsCap(c, local)) return Text(c);
    }
    return "";
  }

 private:
  std::string ns_;
};

}  // namespace

AlertHeader HeaderOf(const AlertDocument& alert) {
  AlertHeader header;
  header.cap_version = alert.version;
  header.identifier = alert.identifier;
  header.sender = alert.sender;
  header.sent = alert.sent;
  header.msg_type = alert.msg_type;
  header.status = alert.status;
  header.references = alert.references;
  return header;
}

bool LooksLikeXml(absl::string_view text) {
  if (absl::StartsWith(text, "\xEF\xBB\xBF")) text.remove_prefix(3);
  text = absl::StripLeadingAsciiWhitespace(text);
  return !text.empty() && text.front() == '<';
}

absl::StatusOr<AlertDocument> ParseCapAlert(absl::string_view xml, const CapParseOptions& options) {
  if (xml.size() > options.max_bytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("CAP document is ", xml.size(), " bytes; the limit is ", options.max_bytes));
  }
  pugi::xml_document doc;
  // parse_doctype keeps a DOCTYPE as a node so that it can be refused; no
  // parse_pi/parse_comments: they are dropped. Escapes cover only the five
  // predefined entities and character references.
  unsigned flags = pugi::parse_default | pugi::parse_doctype;
  pugi::xml_parse_result result =
      doc.load_buffer(xml.data(), xml.size(), flags, pugi::encoding_auto);
  if (!result) {
    return absl::InvalidArgumentError(
        absl::StrCat("not well-formed XML at byte ", result.offset, ": ", result.description()));
  }
  if (result.encoding == pugi::encoding_utf8) {
    const size_t bad = FindInvalidUtf8(xml, /*xml_chars=*/true);
    if (bad != absl::string_view::npos) {
      return NotWellFormedAt(xml, bad, "not UTF-8, or a character XML does not allow");
    }
  }
  if (pugi::xml_node bad = FirstBadNode(doc)) {
    if (bad.type() != pugi::node_element && bad.parent()) bad = bad.parent();
    return absl::InvalidArgumentError(absl::StrCat(
        "not well-formed XML: the content of <", ToValidUtf8(LocalName(bad.name()).substr(0, 40)),
        "> holds a character XML does not allow (perhaps through a character reference) or bytes "
        "that are not UTF-8"));
  }
  pugi::xml_node root;
  for (pugi::xml_node n = doc.first_child(); n; n = n.next_sibling()) {
    if (n.type() == pugi::node_doctype) {
      return absl::InvalidArgumentError(
          "the document has a DOCTYPE; CAP alerts never need one and it is refused so that no "
          "entity is ever declared or expanded");
    }
    if (n.type() == pugi::node_element) {
      if (root) return absl::InvalidArgumentError("more than one root element");
      root = n;
    }
  }
  if (!root) return absl::InvalidArgumentError("no root element");
  std::string ns = NamespaceOf(root);
  if (LocalName(root.name()) != "alert" || (ns != kCap11 && ns != kCap12)) {
    return absl::InvalidArgumentError(
        absl::StrCat("root element is <", root.name(), "> in namespace \"", ns.substr(0, 80),
                     "\"; expected <alert> in ", kCap11, " or ", kCap12));
  }
  Walker w(ns);
  AlertDocument alert;
  alert.version = ns == kCap11 ? "1.1" : "1.2";
  alert.identifier = w.ChildText(root, "identifier");
  alert.sender = w.ChildText(root, "sender");
  alert.sent = w.ChildText(root, "sent");
  alert.status = w.ChildText(root, "status");
  alert.msg_type = w.ChildText(root, "msgType");
  alert.scope = w.ChildText(root, "scope");
  alert.references = w.ChildText(root, "references");
  for (pugi::xml_node info = root.first_child(); info; info = info.next_sibling()) {
    if (!w.IsCap(info, "info")) continue;
    AlertDocumentInfo ci;
    ci.language = w.ChildText(info, "language");
    ci.event = w.ChildText(info, "event");
    for (pugi::xml_node area = info.first_child(); area; area = area.next_sibling()) {
      if (!w.IsCap(area, "area")) continue;
      AlertDocumentArea ca;
      ca.label = absl::StrCat("info[", alert.infos.size(), "].area[", ci.areas.size(), "]");
      for (pugi::xml_node e = area.first_child(); e; e = e.next_sibling()) {
        if (w.IsCap(e, "areaDesc")) {
          ca.area_desc = Text(e);
        } else if (w.IsCap(e, "polygon")) {
          ca.polygons.push_back(Text(e));
        } else if (w.IsCap(e, "circle")) {
          ca.circles.push_back(Text(e));
        } else if (w.IsCap(e, "geocode")) {
          ca.geocodes.push_back({w.ChildText(e, "valueName"), w.ChildText(e, "value")});
        }
      }
      ci.areas.push_back(std::move(ca));
    }
    alert.infos.push_back(std::move(ci));
  }
  return alert;
}

}  // namespace fanout
