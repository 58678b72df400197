"""Exceptions for conditions where a run cannot continue.

Everything a user can fix (a bad row, a bad file) is raised as an `InputError` carrying `Issue` records, so the CLI
prints one clear line per problem and exits 2 without a traceback. Problems that do not stop a run are `Issue`s.
"""

from __future__ import annotations

from collections.abc import Iterable

from trialinterop.issues import Issue


class TrialInteropError(Exception):
    """Base class: the run cannot continue."""


class InputError(TrialInteropError):
    """One or more user inputs are invalid; `issues` says where (file, row/record, field) and why."""

    def __init__(self, issues: Iterable[Issue], *, summary: str = "invalid input") -> None:
        self.issues: tuple[Issue, ...] = tuple(issues)
        self.summary = summary
        super().__init__(self.render())

    def render(self, limit: int = 50) -> str:
        lines = [f"{self.summary}: {len(self.issues)} problem(s)"]
        lines += [f"  {issue.render()}" for issue in self.issues[:limit]]
        if len(self.issues) > limit:
            lines.append(f"  ... and {len(self.issues) - limit} more")
        return "\n".join(lines)


class SpecError(TrialInteropError):
    """The specification under mappings/ is inconsistent (a defect of the package, not of the user's data)."""


class ConformanceError(TrialInteropError):
    """Output would break a submission limit (XPT v5, Define-XML); nothing was written."""

    def __init__(self, issues: Iterable[Issue], *, summary: str = "output does not conform") -> None:
        self.issues = tuple(issues)
        self.summary = summary
        super().__init__(InputError(self.issues, summary=summary).render())
