"""CDISC ODM 1.3.x: read EDC ClinicalData exports into records (`read_odm`) and export records as ODM (`write_odm`)."""
