// The OpenAPI document cannot drift from the app: every route the app serves
// under /v1 is documented with its methods, nothing else is, and request bodies
// are the very schemas that validate requests.

import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createApp, ROUTES } from '../../src/core/app.ts';
import { openApiDocument, referencePage } from '../../src/core/openapi.ts';
import { publishBody } from '../../src/core/schemas.ts';

const app = createApp(() => {
  throw new Error('no backend in this test');
});

describe('the OpenAPI document', () => {
  it('documents exactly the routes the app serves, with their methods', () => {
    const served = new Set(
      app.routes
        .filter((r) => r.path.startsWith('/v1/') && r.method !== 'ALL' && !r.path.endsWith('*'))
        .map((r) => `${r.method} ${r.path}`),
    );
    expect(new Set(Object.entries(ROUTES).flatMap(([path, methods]) => methods.map((m) => `${m} ${path}`)))).toEqual(served);
  });

  it('takes request bodies from the validating schemas, as OpenAPI 3.1 JSON Schema', () => {
    const doc = openApiDocument() as { openapi: string; paths: Record<string, Record<string, any>> };
    expect(doc.openapi).toBe('3.1.0');
    const publish = doc.paths['/v1/users/{userId}/events']!.post.requestBody.content['application/json'].schema;
    const { $schema: _, ...expected } = z.toJSONSchema(publishBody, { io: 'input', unrepresentable: 'any' });
    expect(publish).toEqual(expected);
    expect(publish).toMatchObject({ required: ['type'], additionalProperties: false });
  });

  it('is served at /openapi.json with a reference page at /docs', async () => {
    const response = await app.request('/openapi.json');
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual(JSON.parse(JSON.stringify(openApiDocument())));
    const page = await app.request('/docs');
    expect(page.headers.get('Content-Type')).toMatch(/text\/html/);
    expect(await page.text()).toBe(referencePage());
    expect(referencePage()).toContain('POST /v1/users/{userId}/events');
  });
});
