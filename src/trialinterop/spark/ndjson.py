"""An NDJSON export folder read by Spark as byte-range partitions, line numbers kept.

Why not `SparkContext.textFile`: it decodes text in the JVM (malformed UTF-8 silently becomes U+FFFD) and loses the
line numbers every message and record origin names. So the split is the one Hadoop's line reader makes, written
out here: a file is cut into ranges of CHUNK_BYTES; a range owns the lines that start in it (a line starts at byte 0
or after a newline), reading past its end to finish its last line. A first small job counts the line starts of
each range, so each range knows the number of its first line; a second job parses each line with the
single-machine parser (`fhir_in.load.ndjson_line`), so each resource, its `where` and its error messages are the same
as on one machine. The files must be readable at the same path by every executor (a shared file system).

A parse error does not stop the job: the line yields an `Error` row, and the driver raises the first one in input
order, as the single-machine reader would have.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from trialinterop.errors import InputError
from trialinterop.fhir_in.load import Located, ndjson_line
from trialinterop.issues import Issue

CHUNK_BYTES = 32 * 1024 * 1024
Position = tuple[int, int]
"""(file number in name order, line number): the input order of a resource."""


@dataclass(frozen=True)
class Chunk:
    file: int
    path: str
    start: int
    end: int
    first_line: int = 0


@dataclass(frozen=True)
class Error:
    """A problem found in an executor, carried back as data (issues, summary) and raised on the driver."""

    position: Position
    issues: tuple[Issue, ...]
    summary: str

    def error(self) -> InputError:
        return InputError(self.issues, summary=self.summary)

    @classmethod
    def of(cls, position: Position, exc: InputError) -> Error:
        return cls(position, exc.issues, exc.summary)


def ndjson_files(folder: Path) -> list[Path]:
    """The files the single-machine reader reads, in its order."""
    return sorted(folder.glob("*.ndjson"))


def chunks(files: list[Path], chunk_bytes: int = CHUNK_BYTES) -> list[Chunk]:
    found: list[Chunk] = []
    for number, path in enumerate(files):
        size = path.stat().st_size
        found.extend(Chunk(number, str(path), s, min(s + chunk_bytes, size)) for s in range(0, size, chunk_bytes))
    return found


def count_starts(chunk: Chunk) -> int:
    """Line starts in [start, end): byte 0 of the file, and each byte after a newline (except at the end)."""
    with open(chunk.path, "rb") as handle:
        begin = max(chunk.start - 1, 0)
        handle.seek(begin)
        data = handle.read(chunk.end - 1 - begin) if chunk.end > begin else b""
    return (chunk.start == 0) + data.count(b"\n")


def numbered(found: list[Chunk], starts: list[int]) -> list[Chunk]:
    """Each chunk with the number of its first line (lines start at 1 in each file)."""
    result = []
    line, file = 1, -1
    for chunk, count in zip(found, starts, strict=True):
        if chunk.file != file:
            line, file = 1, chunk.file
        result.append(Chunk(chunk.file, chunk.path, chunk.start, chunk.end, line))
        line += count
    return result


def read_chunk(chunk: Chunk) -> Iterator[tuple[Position, Located | Error]]:
    """(position, resource or parse error) of each non-blank line that starts in the chunk."""
    name = sys.intern(Path(chunk.path).name)  # one string for the origin of every record of the chunk
    with open(chunk.path, "rb") as handle:
        offset = chunk.start
        if offset > 0:
            handle.seek(offset - 1)
            if handle.read(1) != b"\n":
                offset += len(handle.readline())
        number = chunk.first_line
        while offset < chunk.end:
            line = handle.readline()
            if not line:
                break
            offset += len(line)
            position = (chunk.file, number)
            try:
                item = ndjson_line(line, name, number)
            except InputError as exc:
                yield position, Error.of(position, exc)
                return  # the single-machine reader stops at the first bad line; nothing after it matters
            if item is not None:
                yield position, item
            number += 1
