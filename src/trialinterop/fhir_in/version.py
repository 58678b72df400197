"""R4 or R5, told from the resources as they stream by (the incremental form of `load.detect_version`)."""

from __future__ import annotations

from trialinterop.fhir_in.load import Located, _release_of, fail


class VersionDetector:
    """Feed every resource to `see`; `version` is the release the first telling element showed (R4 when none did).
    With a requested release, or once one is shown, a resource of the other release is an error naming it."""

    def __init__(self, requested: str = "auto") -> None:
        wanted = requested.upper()
        if wanted not in ("AUTO", "R4", "R5"):
            raise fail(f"unknown FHIR version {requested!r}: choose auto, R4 or R5")
        self.found: str | None = None if wanted == "AUTO" else wanted
        self.reason = "" if wanted == "AUTO" else f"--fhir-version {wanted}"

    def see(self, item: Located) -> None:
        shown = _release_of(item)
        if shown is None:
            return
        found, element = shown
        if self.found is None:
            self.found, self.reason = found, f"{item.where} has {item.type}.{element}"
        elif found != self.found:
            raise item.fail(
                f"{item.type}.{element}",
                f"{found} element in {self.found} input ({self.reason}); one input holds one release",
            )

    @property
    def version(self) -> str:
        return self.found or "R4"
