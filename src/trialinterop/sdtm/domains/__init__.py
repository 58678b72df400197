"""One module per SDTM dataset; each exports `build_<domain>(records, ctx)` returning an unlabelled frame."""
