// Copyright 2026 The fan-out engine authors.
//
// The hostile-input suite (issue 20, DESIGN §4b and §5): every command of
// the real `fanout` binary run on a corpus of bad inputs, each in a child
// process under a time limit and an address-space limit, as an attacker or
// a clumsy operator would send them. For each case it asserts:
//  - the exit code (2 for bad input or usage, 1 for other failures; a few
//    odd but valid inputs must succeed), never a signal, a hang or a
//    memory blow-up (the limits turn those into failures here);
//  - a message on stderr naming the problem (a substring per case);
//  - nothing left behind: the case's folder holds exactly what it held
//    before (no output, no temporary file or folder) unless it succeeds.
//
// The limits are hang and blow-up detectors, not speed checks: each is an
// order of magnitude above what the case needs on a loaded 2-core machine.

#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <ostream>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/match.h"
#include "engine/location_index.h"
#include "engine/snapshot.h"
#include "engine/users_binary.h"
#include "s2/s2cell_id.h"
#include "s2/s2latlng.h"
#include "gtest/gtest.h"
#include "tests/support/test_support.h"

namespace fanout {
namespace {

using ::fanout::testing::ReadFileOrEmpty;
using ::fanout::testing::TempDir;
using ::fanout::testing::WriteFileOrDie;
namespace fs = std::filesystem;

constexpr int kTimeLimitSeconds = 60;
constexpr rlim_t kAddressSpaceLimit = rlim_t{3} << 30;  // 3 GiB

struct Outcome {
  int exit_code = -1;  // -1 when killed by a signal
  int signal = 0;
  bool timed_out = false;
  std::string err;
};

// Runs build/fanout with `args` (no shell) in a child limited to
// kAddressSpaceLimit of address space and kTimeLimitSeconds of wall time;
// stdin is /dev/null, stdout is discarded, stderr is kept.
Outcome RunLimited(const std::vector<std::string>& args, const std::string& scratch) {
  const std::string err_path = scratch + "/stderr";
  pid_t pid = ::fork();
  if (pid == 0) {
    const struct rlimit as = {kAddressSpaceLimit, kAddressSpaceLimit};
    ::setrlimit(RLIMIT_AS, &as);
    const struct rlimit core = {0, 0};
    ::setrlimit(RLIMIT_CORE, &core);
    int in = ::open("/dev/null", O_RDONLY);
    int out = ::open("/dev/null", O_WRONLY);
    int err = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (in < 0 || out < 0 || err < 0) ::_exit(127);
    ::dup2(in, 0);
    ::dup2(out, 1);
    ::dup2(err, 2);
    std::vector<char*> argv;
    argv.push_back(const_cast<char*>(FANOUT_BINARY));
    for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ::execv(FANOUT_BINARY, argv.data());
    ::_exit(127);
  }
  Outcome outcome;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(kTimeLimitSeconds);
  int status = 0;
  while (true) {
    pid_t done = ::waitpid(pid, &status, WNOHANG);
    if (done == pid) break;
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      outcome.timed_out = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  if (WIFEXITED(status)) outcome.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) outcome.signal = WTERMSIG(status);
  outcome.err = ReadFileOrEmpty(err_path);
  return outcome;
}

// Every path below `dir`, with its type, for "nothing left behind".
std::set<std::string> Listing(const std::string& dir) {
  std::set<std::string> out;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    out.insert(absl::StrCat(it->path().lexically_relative(dir).string(), " ",
                            static_cast<int>(it->symlink_status().type())));
  }
  return out;
}

enum class Expect { kRefused, kFailed, kSucceeds };

struct HostileCase {
  std::string name;
  // Creates the case's input files in `dir` (the case's own folder).
  std::function<void(const std::string& dir)> setup;
  // Arguments; "{D}" is the case's folder, "{USERS}" a 20k-user binary
  // file, "{INDEX}" its snapshot, "{DATA}" the repository's data folder.
  std::vector<std::string> args;
  Expect expect;
  std::string message;  // a substring of stderr (for refusals and failures)
};

// gtest prints a failing parameter: its name is enough.
void PrintTo(const HostileCase& hc, std::ostream* os) { *os << hc.name; }

std::string Cap(const std::string& areas, const std::string& extra_header = "") {
  return absl::StrCat(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<alert xmlns=\"urn:oasis:names:tc:emergency:cap:1.2\">\n"
      "<identifier>HOSTILE-1</identifier><sender>test@example.org</sender>"
      "<sent>2026-05-01T14:05:00-05:00</sent><status>Actual</status>"
      "<msgType>Alert</msgType><scope>Public</scope>",
      extra_header, "\n<info><event>Test</event>", areas, "</info>\n</alert>\n");
}

std::string Area(const std::string& inner, const std::string& desc = "test area") {
  return absl::StrCat("<area><areaDesc>", desc, "</areaDesc>", inner, "</area>");
}

std::function<void(const std::string&)> Writes(const std::string& name, std::string content) {
  return [name, content](const std::string& dir) { WriteFileOrDie(dir + "/" + name, content); };
}

std::function<void(const std::string&)> MakesFifo(const std::string& name) {
  return [name](const std::string& dir) {
    ASSERT_EQ(::mkfifo((dir + "/" + name).c_str(), 0644), 0);
  };
}

std::vector<std::string> Alert(std::vector<std::string> area_args,
                               std::vector<std::string> more = {}) {
  std::vector<std::string> args = {"alert", "--index", "{INDEX}"};
  args.insert(args.end(), area_args.begin(), area_args.end());
  for (const char* a : {"--shards", "4", "--out", "{D}/out"}) args.push_back(a);
  args.insert(args.end(), more.begin(), more.end());
  return args;
}

std::string ManyCircles(int n) {
  std::string infos;
  for (int i = 0; i < n; ++i) {
    const double lat = 25 + (i % 100) * 0.2, lng = -120 + (i / 100) * 0.5;
    absl::StrAppendFormat(&infos,
                          "<info><event>E</event><area><areaDesc>c%d</areaDesc>"
                          "<circle>%.3f,%.3f 5</circle></area></info>\n",
                          i, lat, lng);
  }
  return absl::StrCat(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<alert xmlns=\"urn:oasis:names:tc:emergency:cap:1.2\">"
      "<identifier>MANY</identifier><sender>s</sender><sent>2026-05-01T14:05:00-05:00</sent>"
      "<status>Actual</status><msgType>Alert</msgType><scope>Public</scope>\n",
      infos, "</alert>\n");
}

std::vector<HostileCase> Corpus() {
  const std::string tornado = Area("<polygon>29.70,-95.60 29.95,-95.55 29.90,-95.20 "
                                   "29.65,-95.25 29.70,-95.60</polygon>");
  std::vector<HostileCase> c;
  // --- 1. Text that is not well-formed XML: invalid UTF-8, bad characters.
  c.push_back({"cap_invalid_utf8_in_area_desc",
               Writes("a.xml", Cap(Area("<polygon>29.70,-95.60 29.95,-95.55 29.90,-95.20 "
                                        "29.65,-95.25 29.70,-95.60</polygon>",
                                        "Harris \xFF County"))),
               Alert({"--cap", "{D}/a.xml"}), Expect::kRefused, "not well-formed XML"});
  c.push_back({"cap_invalid_utf8_in_identifier",
               Writes("a.xml", absl::StrReplaceAll(Cap(tornado), {{"HOSTILE-1", "HOST\xC3\x28"}})),
               Alert({"--cap", "{D}/a.xml"}), Expect::kRefused, "not well-formed XML"});
  c.push_back({"cap_invalid_utf8_in_sender_lenient",
               Writes("a.xml", absl::StrReplaceAll(Cap(tornado), {{"test@", "t\xED\xA0\x80@"}})),
               Alert({"--cap", "{D}/a.xml"}, {"--lenient"}), Expect::kRefused, "UTF-8"});
  c.push_back({"cap_overlong_utf8",
               Writes("a.xml", absl::StrReplaceAll(Cap(tornado), {{"Test", "T\xC0\xAFst"}})),
               Alert({"--cap", "{D}/a.xml"}), Expect::kRefused, "not well-formed XML"});
  c.push_back({"cap_nul_byte",
               Writes("a.xml", absl::StrReplaceAll(Cap(tornado), {{"Test", std::string("T\0st", 4)}})),
               Alert({"--cap", "{D}/a.xml"}), Expect::kRefused, "not well-formed XML"});
  c.push_back({"cap_control_character_reference",
               Writes("a.xml", absl::StrReplaceAll(Cap(tornado), {{"Test", "T&#1;st"}})),
               Alert({"--cap", "{D}/a.xml"}), Expect::kRefused, "not well-formed XML"});
  c.push_back({"cap_truncated_utf8_at_end",
               Writes("a.xml", Cap(tornado) + "\xE2\x82"), Alert({"--cap", "{D}/a.xml"}),
               Expect::kRefused, "XML"});
  c.push_back({"cap_binary_garbage", Writes("a.xml", std::string("\x7f" "ELF\x02\x01\x01\0\0", 9)),
               Alert({"--cap", "{D}/a.xml"}), Expect::kRefused, "XML"});
  c.push_back({"cap_empty_file", Writes("a.xml", ""), Alert({"--cap", "{D}/a.xml"}),
               Expect::kRefused, "a.xml"});
  c.push_back({"cap_doctype_entity_bomb",
               Writes("a.xml", "<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\">"
                               "<!ENTITY lol2 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">]>"
                               "<alert xmlns=\"urn:oasis:names:tc:emergency:cap:1.2\">&lol2;</alert>"),
               Alert({"--cap", "{D}/a.xml"}), Expect::kRefused, "DOCTYPE"});
  {
    std::string deep = "<alert xmlns=\"urn:oasis:names:tc:emergency:cap:1.2\">";
    for (int i = 0; i < 200000; ++i) deep += "<a>";
    for (int i = 0; i < 200000; ++i) deep += "</a>";
    deep += "</alert>";
    c.push_back({"cap_200k_nested_elements", Writes("a.xml", deep), Alert({"--cap", "{D}/a.xml"}),
                 Expect::kRefused, "resolve to no region"});
  }
  c.push_back({"cap_over_16_mib",
               Writes("a.xml", Cap(tornado, absl::StrCat("<note>", std::string(17 << 20, 'n'),
                                                         "</note>"))),
               Alert({"--cap", "{D}/a.xml"}), Expect::kRefused, "limit"});
  c.push_back({"path_with_invalid_utf8", Writes("a\xFF.xml", Cap(tornado)),
               Alert({"--cap", "{D}/a\xFF.xml"}), Expect::kSucceeds, ""});
  // --- 2. Rings around a pole, as CAP and --polygon draw them: valid, and
  // must resolve within the limits.
  for (const char* ring : {"80,-180 80,180 90,180 90,-180 80,-180",
                           "80,-180 80,180 89,180 89,-180 80,-180",
                           "-80,-180 -80,180 -90,180 -90,-180 -80,-180",
                           "-80,-180 -80,180 -89,180 -89,-180 -80,-180"}) {
    for (const char* edges : {"planar", "geodesic"}) {
      c.push_back({absl::StrCat("pole_ring_polygon_", ring[0] == '-' ? "south_" : "north_",
                                absl::StrContains(ring, "89") ? "band_" : "cap_", edges),
                   nullptr, Alert({"--polygon", ring, "--edges", edges}), Expect::kSucceeds, ""});
    }
    c.push_back({absl::StrCat("pole_ring_cap_", ring[0] == '-' ? "south_" : "north_",
                              absl::StrContains(ring, "89") ? "band" : "cap"),
                 Writes("a.xml", Cap(Area(absl::StrCat("<polygon>", ring, "</polygon>")))),
                 Alert({"--cap", "{D}/a.xml"}), Expect::kSucceeds, ""});
  }
  // --- 3. Many areas: resolution and covering must stay about linear.
  c.push_back({"cap_10000_circles", Writes("a.xml", ManyCircles(10000)),
               Alert({"--cap", "{D}/a.xml"}), Expect::kSucceeds, ""});
  // --- 4. GeoJSON: a size limit as CAP has.
  c.push_back({"geojson_over_16_mib",
               Writes("a.json", absl::StrCat("{\"type\":\"Polygon\",\"coordinates\":[[[-95.6,29.7],"
                                             "[-95.55,29.95],[-95.2,29.9],[-95.25,29.65],"
                                             "[-95.6,29.7]]],\"pad\":\"",
                                             std::string(17 << 20, 'p'), "\"}")),
               Alert({"--geojson", "{D}/a.json"}), Expect::kRefused, "limit"});
  c.push_back({"geojson_invalid_utf8",
               Writes("a.json", "{\"type\":\"Feature\",\"id\":\"\xFF\",\"properties\":{},"
                                "\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[[[-95.6,29.7],"
                                "[-95.55,29.95],[-95.2,29.9],[-95.25,29.65],[-95.6,29.7]]]}}"),
               Alert({"--geojson", "{D}/a.json"}), Expect::kRefused, "a.json"});
  c.push_back({"geojson_deep_nesting", Writes("a.json", std::string(100000, '[')),
               Alert({"--geojson", "{D}/a.json"}), Expect::kRefused, "a.json"});
  // --- 5. Stray arguments never change the answer silently.
  c.push_back({"alert_stray_argument", nullptr, Alert({"--fips", "48", "201"}), Expect::kRefused,
               "unexpected argument"});
  c.push_back({"build_stray_argument", nullptr,
               {"build", "--users", "{USERS}", "--out", "{D}/x.fo", "extra"}, Expect::kRefused,
               "unexpected argument"});
  c.push_back({"generate_stray_argument", nullptr,
               {"generate", "--users", "10", "--out", "{D}/u.csv", "extra"}, Expect::kRefused,
               "unexpected argument"});
  c.push_back({"inspect_two_paths", nullptr, {"inspect", "{INDEX}", "{INDEX}"}, Expect::kRefused,
               "unexpected argument"});
  c.push_back({"bench_stray_argument", nullptr, {"bench", "--users", "1000", "x"},
               Expect::kRefused, "unexpected argument"});
  c.push_back({"loadtest_stray_argument", nullptr,
               {"loadtest", "--users", "1000", "--update-rate", "10", "--alert-rate", "1",
                "--seconds", "1", "x"},
               Expect::kRefused, "unexpected argument"});
  c.push_back({"unknown_flag", nullptr, Alert({"--fips", "48"}, {"--shard", "3"}),
               Expect::kRefused, "unknown flag"});
  c.push_back({"shards_not_a_number", nullptr,
               {"alert", "--index", "{INDEX}", "--fips", "48", "--shards", "4x", "--out", "{D}/o"},
               Expect::kRefused, "--shards"});
  c.push_back({"shards_zero", nullptr,
               {"alert", "--index", "{INDEX}", "--fips", "48", "--shards", "0", "--out", "{D}/o"},
               Expect::kRefused, "--shards"});
  c.push_back({"unknown_code", nullptr, Alert({"--fips", "99999"}), Expect::kRefused, "99999"});
  // --- 6. A trailing slash is the same folder.
  c.push_back({"out_with_trailing_slash", nullptr,
               {"alert", "--index", "{INDEX}", "--fips", "48201", "--shards", "4", "--out",
                "{D}/amber/"},
               Expect::kSucceeds, ""});
  // --- 7. Outputs are written only over regular files or absent paths.
  c.push_back({"build_out_is_a_fifo", MakesFifo("p"),
               {"build", "--users", "{USERS}", "--out", "{D}/p"}, Expect::kRefused, "{D}/p"});
  c.push_back({"generate_out_is_a_fifo", MakesFifo("p.csv"),
               {"generate", "--users", "10", "--out", "{D}/p.csv"}, Expect::kRefused, "{D}/p.csv"});
  c.push_back({"build_out_is_a_directory",
               [](const std::string& d) { fs::create_directory(d + "/sub.fo"); },
               {"build", "--users", "{USERS}", "--out", "{D}/sub.fo"}, Expect::kRefused,
               "{D}/sub.fo"});
  c.push_back({"alert_out_is_a_file", Writes("out", "keep me"),
               Alert({"--fips", "48"}), Expect::kRefused, "not a directory"});
  // --- 8. Inputs that are not regular files are refused at once.
  c.push_back({"users_is_a_fifo", MakesFifo("u.csv"),
               {"alert", "--users", "{D}/u.csv", "--fips", "48", "--shards", "4", "--out",
                "{D}/out"},
               Expect::kRefused, "not a regular file"});
  c.push_back({"cap_is_a_fifo", MakesFifo("a.xml"), Alert({"--cap", "{D}/a.xml"}),
               Expect::kRefused, "not a regular file"});
  c.push_back({"geojson_is_a_fifo", MakesFifo("a.json"), Alert({"--geojson", "{D}/a.json"}),
               Expect::kRefused, "not a regular file"});
  c.push_back({"index_is_a_fifo", MakesFifo("i.fo"),
               {"alert", "--index", "{D}/i.fo", "--fips", "48", "--shards", "4", "--out",
                "{D}/out"},
               Expect::kRefused, "not a regular file"});
  c.push_back({"inspect_a_fifo", MakesFifo("i.fo"), {"inspect", "{D}/i.fo"}, Expect::kRefused,
               "not a regular file"});
  c.push_back({"build_from_a_fifo", MakesFifo("u.bin"),
               {"build", "--users", "{D}/u.bin", "--out", "{D}/x.fo"}, Expect::kRefused,
               "not a regular file"});
  c.push_back({"users_is_a_directory", [](const std::string& d) { fs::create_directory(d + "/u"); },
               {"build", "--users", "{D}/u", "--out", "{D}/x.fo"}, Expect::kRefused, "{D}/u"});
  c.push_back({"users_missing", nullptr, {"build", "--users", "{D}/none.csv", "--out", "{D}/x.fo"},
               Expect::kRefused, "{D}/none.csv"});
  // --- 10. Practical limit on shard files.
  c.push_back({"shards_one_million", nullptr,
               {"alert", "--index", "{INDEX}", "--fips", "48", "--shards", "1048576", "--out",
                "{D}/out"},
               Expect::kRefused, "shards"});
  // --- 12. Areas with no extent are refused, naming a margin.
  c.push_back({"circle_radius_zero", nullptr, Alert({"--circle", "29.76,-95.37 0"}),
               Expect::kRefused, "margin"});
  c.push_back({"cap_circle_radius_zero",
               Writes("a.xml", Cap(Area("<circle>29.76,-95.37 0</circle>"))),
               Alert({"--cap", "{D}/a.xml"}), Expect::kRefused, "margin"});
  c.push_back({"polygon_collapsed_to_a_line", nullptr,
               Alert({"--polygon", "30,-95 30,-94 30,-93 30,-95"}), Expect::kRefused, "margin"});
  c.push_back({"polygon_collapsed_to_a_point", nullptr,
               Alert({"--polygon", "30,-95 30,-95 30,-95 30,-95"}), Expect::kRefused, "margin"});
  c.push_back({"circle_radius_zero_with_margin", nullptr,
               Alert({"--circle", "29.76,-95.37 0", "--margin-m", "5000"}), Expect::kSucceeds, ""});
  // --- 13. Messages.
  c.push_back({"margin_just_over_the_limit", nullptr,
               Alert({"--fips", "48201", "--margin-m", "10000.001"}), Expect::kRefused,
               "10000.001"});
  c.push_back({"csv_nul_byte_in_a_row",
               Writes("u.csv", std::string("user_id,lat,lng\n1,29.7,-95.3\n2,2\0" "9.7,-95.3\n", 44)),
               {"build", "--users", "{D}/u.csv", "--out", "{D}/x.fo"}, Expect::kRefused,
               "\\x00"});
  c.push_back({"build_out_in_missing_folder", nullptr,
               {"build", "--users", "{USERS}", "--out", "{D}/no/such/x.fo"}, Expect::kRefused,
               "{D}/no/such"});
  c.push_back({"alert_out_in_missing_folder", nullptr,
               {"alert", "--index", "{INDEX}", "--fips", "48", "--shards", "4", "--out",
                "{D}/no/such/out"},
               Expect::kRefused, "{D}/no/such"});
  c.push_back({"users_binary_record_out_of_range",
               [](const std::string& d) {
                 // A well-formed binary users file (valid checksum) whose
                 // second record has latitude 100 degrees.
                 auto writer = UsersBinaryWriter::Create(d + "/u.bin");
                 ASSERT_TRUE(writer.ok()) << writer.status();
                 const UserRecord rows[] = {UserRecord::FromDegrees(1, 29.7, -95.3),
                                            UserRecord{2, 1000000000, 0}};
                 ASSERT_TRUE((*writer)->Append(rows).ok());
                 ASSERT_TRUE((*writer)->Finish().ok());
               },
               {"build", "--users", "{D}/u.bin", "--out", "{D}/x.fo"}, Expect::kRefused,
               "{D}/u.bin"});
  // --- 11. A snapshot with valid checksums that names one user twice.
  c.push_back({"snapshot_with_a_duplicated_user",
               [](const std::string& d) {
                 const S2CellId a = S2CellId(S2LatLng::FromDegrees(29.7, -95.3));
                 const S2CellId b = S2CellId(S2LatLng::FromDegrees(29.8, -95.4));
                 std::vector<uint64_t> cells = {std::min(a, b).id(), std::max(a, b).id()};
                 const std::vector<uint64_t> users = {42, 42};
                 // What the snapshot loader does: order is checked, not
                 // uniqueness (engine/snapshot.h).
                 auto index = LocationIndex::FromBorrowedColumns(cells, users, nullptr);
                 ASSERT_TRUE(index.ok()) << index.status();
                 ASSERT_TRUE(WriteSnapshot(d + "/dup.fo", **index, {}).ok());
               },
               {"inspect", "{D}/dup.fo"}, Expect::kRefused, "user 42"});
  return c;
}

class HostileInputTest : public ::testing::TestWithParam<HostileCase> {
 protected:
  static void SetUpTestSuite() {
    shared_ = new TempDir();
    std::string err;
    ASSERT_EQ(testing::RunFanout(absl::StrCat("generate --users 20000 --seed 3 --region us --out ",
                                              shared_->File("users.bin")),
                                 nullptr, &err),
              0)
        << err;
    ASSERT_EQ(testing::RunFanout(absl::StrCat("build --users ", shared_->File("users.bin"),
                                              " --out ", shared_->File("users.fo")),
                                 nullptr, &err),
              0)
        << err;
  }
  static void TearDownTestSuite() { delete shared_; }
  static TempDir* shared_;
};
TempDir* HostileInputTest::shared_ = nullptr;

TEST_P(HostileInputTest, RefusedCleanlyWithinLimits) {
  const HostileCase& hc = GetParam();
  TempDir scratch;  // stderr of the child, outside the case's folder
  TempDir work;
  if (hc.setup) hc.setup(work.path());
  const auto expand = [&](const std::string& s) {
    return absl::StrReplaceAll(s, {{"{D}", work.path()},
                                   {"{USERS}", shared_->File("users.bin")},
                                   {"{INDEX}", shared_->File("users.fo")},
                                   {"{DATA}", std::string(FANOUT_SOURCE_DIR) + "/data"}});
  };
  std::vector<std::string> args;
  for (const std::string& a : hc.args) args.push_back(expand(a));
  const std::set<std::string> before = Listing(work.path());
  const Outcome outcome = RunLimited(args, scratch.path());

  ASSERT_FALSE(outcome.timed_out) << hc.name << ": still running after " << kTimeLimitSeconds
                                  << " s";
  ASSERT_EQ(outcome.signal, 0) << hc.name << ": killed by signal " << outcome.signal
                               << " (an abort, a crash, or memory past the limit)\n"
                               << outcome.err;
  switch (hc.expect) {
    case Expect::kSucceeds:
      EXPECT_EQ(outcome.exit_code, 0) << hc.name << "\n" << outcome.err;
      return;
    case Expect::kRefused:
      EXPECT_EQ(outcome.exit_code, 2) << hc.name << "\n" << outcome.err;
      break;
    case Expect::kFailed:
      EXPECT_EQ(outcome.exit_code, 1) << hc.name << "\n" << outcome.err;
      break;
  }
  EXPECT_TRUE(absl::StartsWith(outcome.err, "fanout ")) << hc.name << ": " << outcome.err;
  EXPECT_TRUE(absl::StrContains(outcome.err, expand(hc.message)))
      << hc.name << ": message should name \"" << expand(hc.message) << "\":\n"
      << outcome.err;
  EXPECT_EQ(std::count(outcome.err.begin(), outcome.err.end(), '\0'), 0)
      << hc.name << ": raw NUL byte in the message";
  EXPECT_EQ(Listing(work.path()), before) << hc.name << ": something was left behind";
}

INSTANTIATE_TEST_SUITE_P(Corpus, HostileInputTest, ::testing::ValuesIn(Corpus()),
                         [](const ::testing::TestParamInfo<HostileCase>& info) {
                           return info.param.name;
                         });

}  // namespace
}  // namespace fanout
