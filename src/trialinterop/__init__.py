"""trialinterop: one trial's records to CDISC SDTM and HL7 FHIR, and a conformance validator."""

__version__ = "0.1.0"
