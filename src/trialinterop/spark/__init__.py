"""`--engine spark`: the same mapping and validation functions, scheduled by Apache Spark (pyspark, optional extra
`trialinterop[spark]`). docs/scale-out.md says what runs in the executors and what the driver holds.

- `session`: is Spark usable here (pyspark importable, Java 17+), and a session configured for this tool;
- `ndjson`: NDJSON files read as byte-range partitions, each line parsed by the single-machine line parser;
- `grouping`: resources keyed and grouped by subject exactly as `fhir_in.groups` does, in its order;
- `fhir_to_sdtm`: each subject group mapped by `fhir_in.subjects.map_subject` in the executors, the parts assembled
  by `fhir_in.pipeline.read_grouped`;
- `validate`: packages x rule chunks run by the single-machine rule engine in the executors.
"""
