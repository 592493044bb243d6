// Copyright 2026 The fan-out engine authors.

#include "geo/cap_alert.h"

#include <cstring>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
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

bool LooksLikeXml(absl::string_view text) {
  if (absl::StartsWith(text, "\xEF\xBB\xBF")) text.remove_prefix(3);
  text = absl::StripLeadingAsciiWhitespace(text);
  return !text.empty() && text.front() == '<';
}

absl::StatusOr<CapAlert> ParseCapAlert(absl::string_view xml, const CapParseOptions& options) {
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
  CapAlert alert;
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
    CapInfo ci;
    ci.language = w.ChildText(info, "language");
    ci.event = w.ChildText(info, "event");
    for (pugi::xml_node area = info.first_child(); area; area = area.next_sibling()) {
      if (!w.IsCap(area, "area")) continue;
      CapArea ca;
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
