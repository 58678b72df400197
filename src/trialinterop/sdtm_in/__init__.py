"""SDTM in: a finished SDTM package (XPT v5 or Dataset-JSON, optional define.xml) to a records folder.

`read_sdtm` reads the package, `convert_package` maps it to the study definition and records tables (one module per
family: `definition`, `subjects`, `events`, `exposures`, `disposition`, `visits`, `findings`), and `carry` accounts
for every input value: carried into a records field or the definition, recomputed by `to-sdtm` from what is
carried, or not carried (written to `not-carried/` beside the records and counted in the report).
"""

from trialinterop.sdtm_in.convert import Conversion, convert_package
from trialinterop.sdtm_in.package import SdtmInput, read_sdtm

__all__ = ["Conversion", "SdtmInput", "convert_package", "read_sdtm"]
