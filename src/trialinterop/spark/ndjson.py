"""An NDJSON export folder read by Spark as byte-range partitions, line numbers kept.

Why not `SparkContext.textFile`: it decodes text in the JVM (malformed UTF-8 silently becomes U+FFFD) and loses the
line numbers every message and record origin names. So the split is the one Hadoop's line reader makes, written
out here: a file is cut into ranges of CHUNK_BYTES; a range owns the lines that start in it (a line starts at byte 0
or after a newline), reading past its end to finish its last line. A first small job counts the line starts of
each range, so each range knows the number of its first line; a second job parses each line with the
single-machine parser (`fhir_in.load.ndjson_line`), so each resource, its `where` and its error messages are the same
as on one machine. Each line's byte offset and length are kept too: once grouped, a partition reads its subjects'
lines back (`LineReader`) and parses them with the same parser, so the parsed resources never travel between the JVM
and the Python workers. The files must be readable at the same path by every executor (a shared file system) and
must not change while the job runs.

A parse error does not stop the job: it is carried as an `Error` (in the partition's summary, spark.grouping), and the
driver raises the first one in input order, as the single-machine reader would have.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from trialinterop.errors import InputError
from trialinterop.fhir_in.load import Located, fail, ndjson_line
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


def read_lines(chunk: Chunk) -> Iterator[tuple[Position, int, bytes]]:
    """(position, byte offset, bytes with the newline) of each line that starts in the chunk, blank ones included."""
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
            yield (chunk.file, number), offset, line
            offset += len(line)
            number += 1


def read_chunk(chunk: Chunk) -> Iterator[tuple[Position, Located | Error]]:
    """(position, resource or parse error) of each non-blank line that starts in the chunk."""
    name = sys.intern(Path(chunk.path).name)  # one string for the origin of every record of the chunk
    for position, _, line in read_lines(chunk):
        try:
            item = ndjson_line(line, name, position[1])
        except InputError as exc:
            yield position, Error.of(position, exc)
            return  # the single-machine reader stops at the first bad line; nothing after it matters
        if item is not None:
            yield position, item


class LineReader:
    """Lines read back by (file number, byte offset, length), parsed by the single-machine parser: the grouped
    partitions fetch their subjects' resources this way instead of receiving them through the shuffle."""

    def __init__(self, paths: list[str]) -> None:
        self.paths = paths
        self.names = [sys.intern(Path(path).name) for path in paths]
        self.handles: dict[int, int] = {}

    def located(self, position: Position, offset: int, length: int) -> Located:
        file, number = position
        handle = self.handles.get(file)
        if handle is None:
            handle = self.handles[file] = os.open(self.paths[file], os.O_RDONLY)
        line = os.pread(handle, length, offset)
        item = ndjson_line(line, self.names[file], number) if len(line) == length else None
        if item is None:  # the line read in the first pass is not there any more
            message = "the file changed while it was read (the line differs from the first pass)"
            raise fail(message, where=f"{self.names[file]}:{number}")
        return item

    def close(self) -> None:
        for handle in self.handles.values():
            os.close(handle)
        self.handles.clear()
