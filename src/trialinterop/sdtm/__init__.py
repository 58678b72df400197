"""SDTM: domain builders (pure functions of the typed records), shared derivations, and conform (spec owner)."""
