// Copyright 2026 The fan-out engine authors.
//
// The `fanout` command line (DESIGN §5). Thin: parsing flags, printing, and
// exit codes; the work is done by the fanout::geo and fanout::engine
// libraries. Exit codes: 0 success, 2 bad usage or bad input, 1 any other
// failure.

#include <malloc.h>

#include <cstdio>
#include <exception>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "tools/cli_util.h"
#include "tools/commands.h"

namespace fanout {
namespace {

constexpr char kUsage[] = R"(usage:
  fanout generate --users N [--seed S] [--region us|world] --out FILE(.csv|.bin)
  fanout build    --users FILE (--out SNAPSHOT | --dir DIR [--force]) [--skip-bad-rows]
  fanout apply    --dir DIR --updates FILE(.csv|.bin) [--sync batch|group|none]
                  [--batch N]
  fanout checkpoint --dir DIR
  fanout replay   --dir DIR --events FILE --shards N --out OUT [--force]
  fanout inspect  (SNAPSHOT | DIR) [--json]
  fanout alert    (--index SNAPSHOT | --dir DIR | --users FILE [--skip-bad-rows])
                  (--cap FILE | --geojson FILE [--feature ID] |
                   --polygon "lat,lon lat,lon ..." | --circle "lat,lon km" |
                   --same PSSCCC | --fips SSCCC|SS)
                  [--edges planar|geodesic] [--margin-m M] [--lenient]
                  [--geocodes fallback|union] --shards N --out DIR
                  [--format csv|bin] [--force] [--verify] [--order index|nearest]
                  [--map FILE.svg] [--covering-geojson FILE]
  fanout bench    --users N [--seed S] [--shards 256] [--json FILE]
                  [--repetitions R] [--s2pointindex-max-users M]
                  [--alerts county,state,circle,nation,warnings] [--no-baselines]
  fanout loadtest --users N --update-rate R --alert-rate A --seconds S
                  [--json FILE] [--seed S] [--shards 256] [--update-threads T]
                  [--batch B] [--log FILE] [--update-nice N]
                  [--dir DIR [--replace-dir] [--sync batch|group|none]
                   [--checkpoint-at S] [--checkpoint-log-bytes B]
                   [--standing-alerts K] [--check full|none]
                   [--merge-fraction F] [--sample-every S]]

  --lenient  repairs malformed CAP polygons/circles with one obvious reading
             (listed in summary.json "repairs"); strict refuses them (exit 2).
  --verify   also runs a brute-force scan of every user and fails (exit 1)
             unless both give the same users in the same shards.
  loadtest   updates a live index at rate R while alerts run at rate A for S
             seconds, then checks every alert against the update history;
             exit 1 on any consistency violation or lost update. --log FILE
             also writes an update log and reports its replay speed. With
             --dir it drives an Engine in that folder instead (durable
             Apply, checkpoints, reopened at the end: open_s) and can keep
             K standing alerts active (late deliveries checked against a
             model); --check none skips the history check of huge runs.
  --dir      an engine folder (checkpoints and update-log segments): build
             makes one at sequence 0; apply adds updates in file order
             (CSV user_id,lat,lng; empty lat and lng remove the user),
             printing `acked SEQ` after each durable batch (default --sync
             group, --batch 10000); checkpoint writes the state as a
             checkpoint and drops the log before it; inspect DIR reports
             checkpoint_seq and last_seq.
Progress is shown on a terminal only. Exit codes: 0 ok, 2 bad usage or
input, 1 other failure.
)";

// `message` made safe for a terminal and a log line: a NUL or another
// control byte (from a hostile file quoted in the message) is shown as
// \xNN instead of cutting the line short or moving the cursor.
std::string Printable(const std::string& message) {
  std::string out;
  out.reserve(message.size());
  for (unsigned char c : message) {
    if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f) {
      static const char kHex[] = "0123456789abcdef";
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

struct Command {
  const char* name;
  absl::Status (*run)(int argc, char** argv);
};
constexpr Command kCommands[] = {
    {"generate", RunGenerate}, {"alert", RunAlert},     {"build", RunBuild},
    {"inspect", RunInspect},   {"bench", RunBench},     {"loadtest", RunLoadTest},
    {"apply", RunApply},       {"checkpoint", RunCheckpoint},
    {"replay", RunReplay},
};

int Main(int argc, char** argv) {
  // Per-alert lists and the live index's runs are large, short-lived
  // allocations. glibc serves big ones from fresh mmap'd pages that the
  // kernel must zero (a page fault per 4 KiB) and unmaps on free; up to
  // 32 MiB (glibc's ceiling for this setting) they now come from the heap
  // and freed memory is kept for reuse.
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
  if (argc < 2 || std::string(argv[1]) == "--help" || std::string(argv[1]) == "help") {
    std::fputs(kUsage, argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  std::string command = argv[1];
  const Command* found = nullptr;
  for (const Command& c : kCommands) {
    if (command == c.name) found = &c;
  }
  if (found == nullptr) {
    std::fprintf(stderr, "fanout: unknown command '%s'\n%s", Printable(command).c_str(), kUsage);
    return 2;
  }
  absl::Status status;
  // No exception is part of any library's contract (errors are
  // absl::Status), but a bug in a dependency must not turn into an abort
  // with a core dump and, worse, skip the clean-up of temporary outputs:
  // catching it here unwinds the stack (so each writer removes its
  // temporaries) and reports it as an internal error, exit 1.
  try {
    status = found->run(argc, argv);
  } catch (const std::bad_alloc&) {
    status = absl::ResourceExhaustedError("out of memory");
  } catch (const std::exception& e) {
    status = absl::InternalError(absl::StrCat("internal error (please report): ", e.what()));
  } catch (...) {
    status = absl::InternalError("internal error (please report): unknown exception");
  }
  if (!status.ok()) {
    const std::string line =
        Printable(absl::StrCat("fanout ", command, ": ", status.message())) + "\n";
    std::fwrite(line.data(), 1, line.size(), stderr);
    return ExitCode(status);
  }
  return 0;
}

}  // namespace
}  // namespace fanout

int main(int argc, char** argv) { return fanout::Main(argc, argv); }
