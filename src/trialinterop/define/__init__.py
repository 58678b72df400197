"""Define-XML 2.1 for the SDTM package, built with lxml from the spec and the written data."""
