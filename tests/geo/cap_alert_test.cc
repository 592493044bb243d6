// Copyright 2026 The fan-out engine authors.
//
// The CAP parser: namespaces, every <info>/<area>, and hostile documents
// (DESIGN §4b).

#include "geo/cap_alert.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace fanout {
namespace {

constexpr char kCap12[] = "urn:oasis:names:tc:emergency:cap:1.2";

std::string Doc(const std::string& body, const std::string& ns = kCap12) {
  return absl::StrCat("<?xml version=\"1.0\"?>\n<alert xmlns=\"", ns, "\">", body, "</alert>");
}

TEST(CapAlertTest, ReadsHeaderInfosAreasAndAllElements) {
  std::string xml = Doc(R"(
    <identifier> ID-1 </identifier><sender>s@x</sender><sent>2026-01-01T00:00:00-00:00</sent>
    <status>Actual</status><msgType>Update</msgType><scope>Public</scope>
    <references>a,b,c</references>
    <info><language>en-US</language><event>E</event>
      <area><areaDesc>A0</areaDesc>
        <polygon>1,1 1,2
	2,2 1,1</polygon><polygon>3,3 3,4 4,4 3,3</polygon>
        <circle>5,5 1</circle>
        <geocode><valueName>SAME</valueName><value>048201</value></geocode>
        <geocode><valueName>UGC</valueName><value>TXZ213</value></geocode>
      </area>
      <area><areaDesc>A1</areaDesc><polygon/></area>
    </info>
    <info><language>es-US</language><area><areaDesc>B0</areaDesc></area></info>)");
  auto alert = ParseCapAlert(xml);
  ASSERT_TRUE(alert.ok()) << alert.status();
  EXPECT_EQ(alert->version, "1.2");
  EXPECT_EQ(alert->identifier, "ID-1");
  EXPECT_EQ(alert->sender, "s@x");
  EXPECT_EQ(alert->msg_type, "Update");
  EXPECT_EQ(alert->references, "a,b,c");
  ASSERT_EQ(alert->infos.size(), 2u);
  ASSERT_EQ(alert->infos[0].areas.size(), 2u);
  const AlertDocumentArea& a = alert->infos[0].areas[0];
  EXPECT_EQ(a.label, "info[0].area[0]");
  ASSERT_EQ(a.polygons.size(), 2u);
  EXPECT_EQ(a.polygons[0], "1,1 1,2\n\t2,2 1,1");
  EXPECT_EQ(a.circles, std::vector<std::string>{"5,5 1"});
  ASSERT_EQ(a.geocodes.size(), 2u);
  EXPECT_EQ(a.geocodes[1].value_name, "UGC");
  EXPECT_EQ(a.geocodes[1].value, "TXZ213");
  EXPECT_EQ(alert->infos[0].areas[1].polygons, std::vector<std::string>{""});
  EXPECT_EQ(alert->infos[1].language, "es-US");
  EXPECT_EQ(alert->infos[1].areas[0].label, "info[1].area[0]");
}

TEST(CapAlertTest, PrefixedAndCap11Namespaces) {
  auto prefixed = ParseCapAlert(
      R"(<cap:alert xmlns:cap="urn:oasis:names:tc:emergency:cap:1.1"><cap:identifier>P</cap:identifier>
         <cap:info><cap:area><cap:circle>1,2 3</cap:circle></cap:area></cap:info></cap:alert>)");
  ASSERT_TRUE(prefixed.ok()) << prefixed.status();
  EXPECT_EQ(prefixed->version, "1.1");
  EXPECT_EQ(prefixed->identifier, "P");
  ASSERT_EQ(prefixed->infos.size(), 1u);
  EXPECT_EQ(prefixed->infos[0].areas[0].circles[0], "1,2 3");
}

TEST(CapAlertTest, ElementsOfOtherNamespacesAreIgnored) {
  auto alert =
      ParseCapAlert(Doc(R"(<info xmlns="urn:other"><area><circle>1,2 3</circle></area></info>
      <x:info xmlns:x="urn:oasis:names:tc:emergency:cap:1.2"><x:area><x:circle>4,5 6</x:circle></x:area></x:info>)"));
  ASSERT_TRUE(alert.ok()) << alert.status();
  ASSERT_EQ(alert->infos.size(), 1u);
  EXPECT_EQ(alert->infos[0].areas[0].circles[0], "4,5 6");
}

TEST(CapAlertTest, WrongOrMissingNamespaceIsRefused) {
  for (const std::string& xml :
       {Doc("", "http://www.incident.com/cap/1.0"),
        std::string("<alert><identifier>x</identifier></alert>"),
        std::string("<cap:alert xmlns:cap=\"urn:oasis:names:tc:emergency:cap:1.2x\"/>"),
        std::string("<notalert xmlns=\"urn:oasis:names:tc:emergency:cap:1.2\"/>"),
        std::string("<cap:alert xmlns=\"urn:oasis:names:tc:emergency:cap:1.2\"/>")}) {
    auto alert = ParseCapAlert(xml);
    EXPECT_EQ(alert.status().code(), absl::StatusCode::kInvalidArgument) << xml;
  }
}

TEST(CapAlertTest, DoctypeEntitiesAndBillionLaughsAreRefused) {
  std::string laughs = R"(<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">]>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>&lol2;</identifier></alert>)";
  std::string external = R"(<!DOCTYPE alert SYSTEM "http://example.com/evil.dtd">
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"/>)";
  std::string xxe = R"(<!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>&x;</identifier></alert>)";
  for (const std::string& xml : {laughs, external, xxe}) {
    auto alert = ParseCapAlert(xml);
    ASSERT_EQ(alert.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(alert.status().message().find("DOCTYPE"), std::string::npos) << alert.status();
  }
  // An undeclared entity without a DOCTYPE is never expanded: pugixml keeps
  // it as literal text (only the five predefined entities are decoded).
  auto undeclared = ParseCapAlert(Doc("<identifier>&lol;&amp;</identifier>"));
  ASSERT_TRUE(undeclared.ok()) << undeclared.status();
  EXPECT_EQ(undeclared->identifier, "&lol;&");
}

TEST(CapAlertTest, NotXmlTruncatedAndTwoRootsAreRefused) {
  for (const std::string& xml :
       {std::string(""), std::string("{\"type\": 1}"), Doc("<info>").substr(0, 60),
        Doc("<info></area></info>"), Doc("") + "<alert/>"}) {
    EXPECT_EQ(ParseCapAlert(xml).status().code(), absl::StatusCode::kInvalidArgument) << xml;
  }
}

TEST(CapAlertTest, DeepNestingDoesNotCrash) {
  std::string deep;
  for (int i = 0; i < 200000; ++i) deep += "<x>";
  for (int i = 0; i < 200000; ++i) deep += "</x>";
  auto alert = ParseCapAlert(Doc(deep));
  ASSERT_TRUE(alert.ok()) << alert.status();
  EXPECT_TRUE(alert->infos.empty());
  auto unclosed = ParseCapAlert(Doc(std::string(300000, '<')));
  EXPECT_FALSE(unclosed.ok());
}

TEST(CapAlertTest, HugeAttributeAndSizeLimit) {
  std::string big(8u << 20, 'a');
  auto alert = ParseCapAlert(Doc(absl::StrCat("<identifier foo=\"", big, "\">I</identifier>")));
  ASSERT_TRUE(alert.ok()) << alert.status();
  EXPECT_EQ(alert->identifier, "I");
  CapParseOptions small;
  small.max_bytes = 1000;
  auto refused = ParseCapAlert(Doc(std::string(2000, ' ')), small);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(CapAlertTest, Utf16DocumentWithBom) {
  std::string utf8 = Doc("<identifier>U16</identifier>");
  std::string utf16 = "\xFF\xFE";
  for (char c : utf8) {
    utf16 += c;
    utf16 += '\0';
  }
  auto alert = ParseCapAlert(utf16);
  ASSERT_TRUE(alert.ok()) << alert.status();
  EXPECT_EQ(alert->identifier, "U16");
}

TEST(CapAlertTest, LooksLikeXml) {
  EXPECT_TRUE(LooksLikeXml("  \n<?xml"));
  EXPECT_TRUE(LooksLikeXml("\xEF\xBB\xBF<alert/>"));
  EXPECT_FALSE(LooksLikeXml("{\"type\":1}"));
  EXPECT_FALSE(LooksLikeXml(""));
}

}  // namespace
}  // namespace fanout

namespace fanout {
namespace {

std::string CapWithAreaDesc(const std::string& declaration, const std::string& desc) {
  return declaration +
         "<alert xmlns=\"urn:oasis:names:tc:emergency:cap:1.2\"><identifier>X</identifier>"
         "<info><area><areaDesc>" + desc + "</areaDesc><circle>29.7,-95.3 5</circle></area>"
         "</info></alert>";
}

TEST(CapAlertWellFormedTest, InvalidUtf8IsRefusedNamingByteAndLine) {
  const std::string text = CapWithAreaDesc("<?xml version=\"1.0\"?>\n", "Harris \xFF");
  auto parsed = ParseCapAlert(text);
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(parsed.status().message()),
              ::testing::HasSubstr(absl::StrCat("not well-formed XML at byte ", text.find('\xFF'),
                                                " (line 2)")));
}

TEST(CapAlertWellFormedTest, CharactersXmlForbidsAreRefusedRawOrByReference) {
  for (const std::string& desc : {std::string("a\x01z"), std::string("a\0z", 3),
                                  std::string("a&#1;z"), std::string("a&#xFFFE;z"),
                                  std::string("a\xED\xA0\x80z")}) {
    auto parsed = ParseCapAlert(CapWithAreaDesc("", desc));
    EXPECT_FALSE(parsed.ok()) << desc;
    if (!parsed.ok()) {
      EXPECT_THAT(std::string(parsed.status().message()),
                  ::testing::HasSubstr("not well-formed XML"));
    }
  }
}

TEST(CapAlertWellFormedTest, DeclaredLatin1AndUtf16AreRead) {
  // A Latin-1 document may hold any byte: 0xE9 is "e acute" there.
  auto latin1 = ParseCapAlert(
      CapWithAreaDesc("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>", "Comt\xE9 X"));
  ASSERT_TRUE(latin1.ok()) << latin1.status();
  EXPECT_EQ(latin1->infos[0].areas[0].area_desc, "Comt\xC3\xA9 X");
  // UTF-16LE with a BOM.
  const std::string utf8 = CapWithAreaDesc("", "Comt\xC3\xA9");
  std::string utf16 = "\xFF\xFE";
  for (size_t i = 0; i < utf8.size(); ++i) {
    if (static_cast<unsigned char>(utf8[i]) == 0xC3) {
      utf16 += "\xE9";
      utf16 += '\0';
      ++i;
    } else {
      utf16 += utf8[i];
      utf16 += '\0';
    }
  }
  auto wide = ParseCapAlert(utf16);
  ASSERT_TRUE(wide.ok()) << wide.status();
  EXPECT_EQ(wide->infos[0].areas[0].area_desc, "Comt\xC3\xA9");
}

TEST(CapAlertWellFormedTest, ValidMultilingualTextIsKept) {
  auto parsed = ParseCapAlert(CapWithAreaDesc("", "\xE6\x9D\xB1\xE4\xBA\xAC \xF0\x9F\x8C\xAA"));
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->infos[0].areas[0].area_desc, "\xE6\x9D\xB1\xE4\xBA\xAC \xF0\x9F\x8C\xAA");
}

}  // namespace
}  // namespace fanout
