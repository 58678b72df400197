"""Conformance validator for any SDTM package (XPT v5 / Dataset-JSON, optional define.xml) and FHIR output.

`api.validate(paths)` reads the inputs (`package`), runs the registered rules (`registry`, `rules/<family>.py`)
against SDTMIG 3.4 metadata and CDISC CT bundled under `mappings/sdtmig-3.4/` (`standards`), applies accepted
findings (`accept`) and returns a result the `reports` render. The validator never changes data.
"""
