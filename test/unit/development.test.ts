// The development-settings rule of the standalone hosts, against the file that
// publishes those settings.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readVarsFile } from '../../src/cli/dev-vars.ts';
import { developmentSettingsRefusal, isDevelopmentMode, PUBLISHED_DEVELOPMENT_SECRETS } from '../../src/standalone/development.ts';

describe('development settings', () => {
  const example = readVarsFile('.dev.vars.example');

  it('knows every secret .dev.vars.example publishes', () => {
    expect(readFileSync('.dev.vars.example', 'utf8')).toMatch(/DEVELOPMENT ONLY/);
    expect({ JWT_SECRET: example.JWT_SECRET, WEBHOOK_SECRET: example.WEBHOOK_SECRET }).toEqual(PUBLISHED_DEVELOPMENT_SECRETS);
  });

  it('allows them on loopback only', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]']) expect(developmentSettingsRefusal(example, host)).toBeNull();
    for (const host of ['0.0.0.0', '::', '10.0.0.5', 'example.com', '127.0.0.1.example.com']) {
      expect(developmentSettingsRefusal(example, host)).toMatch(/published development secret/);
    }
    expect(developmentSettingsRefusal({ JWT_SECRET: 'real', WEBHOOK_SECRET: 'whsec_real', DEMO_ENABLED: 'true' }, '0.0.0.0')).toMatch(/DEMO_ENABLED/);
    expect(developmentSettingsRefusal({ JWT_SECRET: 'real', WEBHOOK_SECRET: 'whsec_real' }, '0.0.0.0')).toBeNull();
  });

  it('is development mode only with no real secret and a loopback HOST', () => {
    expect(isDevelopmentMode({})).toBe(true);
    expect(isDevelopmentMode({ HOST: 'localhost' })).toBe(true);
    expect(isDevelopmentMode({ HOST: '0.0.0.0' })).toBe(false);
    expect(isDevelopmentMode({ JWT_SECRET: 'real' })).toBe(false);
    expect(isDevelopmentMode({ WEBHOOK_SECRET: 'whsec_real' })).toBe(false);
  });
});

describe('variables files for userhub serve and the single executable', () => {
  it('give the service its variables, never the runtime\'s own settings (NODE_*, BUN_*, DENO_*)', async () => {
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const { readServiceVars } = await import('../../src/cli/dev-vars.ts');
    const file = join(mkdtempSync(join(tmpdir(), 'userhub-vars-')), '.dev.vars');
    writeFileSync(file, 'JWT_SECRET=abc\nNODE_TLS_REJECT_UNAUTHORIZED=0\nBUN_CONFIG_VERBOSE_FETCH=1\nDENO_CERT=/x\nPORT=9000\n');
    expect(readServiceVars(file)).toEqual({ JWT_SECRET: 'abc', PORT: '9000' });
  });
});
