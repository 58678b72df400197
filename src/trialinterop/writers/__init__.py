"""Writers for the SDTM package: SAS XPORT v5, CDISC Dataset-JSON v1.1 and the package assembler."""
