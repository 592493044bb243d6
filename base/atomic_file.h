// Copyright 2026 The fan-out engine authors.

#ifndef FANOUT_BASE_ATOMIC_FILE_H_
#define FANOUT_BASE_ATOMIC_FILE_H_

#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace fanout {

// Appends bytes to the file being written; returns the write error, if any.
using AppendFn = std::function<absl::Status(absl::string_view)>;

// Whether `path` may be written by WriteFileAtomically (or any writer that
// renames a temporary file over its target). Cheap (a few stat calls) and
// meant to be called before any heavy work, so bad output paths are refused
// at once. OK when `path` does not exist and its folder does, or when `path`
// is a regular file (it will be replaced). Otherwise, naming the path:
//   - kInvalidArgument: `path` is empty or ends in '/', or its folder does
//     not exist or is not a folder (the message names that folder);
//   - kFailedPrecondition: `path` is a directory, a device, a FIFO, a socket
//     or a symbolic link. Renaming over a special file would replace it
//     (`--out /dev/null` would delete the device); renaming over a symbolic
//     link replaces the link, not the file it points to, which is never what
//     the link's owner meant, and following it would write outside the
//     folder the user named; so a link is refused and the message asks for
//     the path of the file itself.
absl::Status CheckOutputFile(const std::string& path);

// Writes `path` so that it is either absent, its old content, or complete:
// `fill` appends the content to a temporary file beside `path`, which is
// then fsynced and renamed over `path` (and the folder fsynced). `path` is
// checked with CheckOutputFile first, and again just before the rename. On
// any error, from `fill` or the system, the temporary file is removed and
// `path` is untouched. Nor is anything committed while a file mapped by this
// process has shrunk (the kAborted of MappedFile::CheckAllIntact): the
// content may derive from the zeros read past its end; callers should check
// earlier themselves, this is the last line. Stale temporary files of `path` from dead writers are
// removed first (RemoveStaleTempFiles).
absl::Status WriteFileAtomically(const std::string& path,
                                 const std::function<absl::Status(const AppendFn&)>& fill);

// "<pid>-<8 random hex digits>": the unique part of every temporary name
// this process makes (files here, delivery folders in engine/), which
// RemoveStaleTemps recognises.
std::string TempSuffix();

// The temporary name used for `path` by this process:
// `<path>.tmp-<pid>-<random hex>`.
std::string TempPathFor(const std::string& path);

// Removes the entries of folder `dir` named `<prefix><pid>-<8 hex digits>`
// (files, or folders with everything in them) left by writers that died (a
// crash or SIGKILL mid-write): those whose pid is no longer a running
// process. Entries of live writers are left alone; so is an entry whose pid
// was reused by another process (until that one ends). A writer in another
// pid namespace sharing the folder would be judged dead: do not share an
// output folder between containers. Errors are ignored: this is
// housekeeping.
void RemoveStaleTemps(const std::string& dir, absl::string_view prefix);

// RemoveStaleTemps for the temporary files of `path` (TempPathFor).
void RemoveStaleTempFiles(const std::string& path);

}  // namespace fanout

#endif  // FANOUT_BASE_ATOMIC_FILE_H_
