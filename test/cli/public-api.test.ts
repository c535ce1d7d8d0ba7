import { describe, expect, it } from 'vitest';
import * as api from '../../src/index.js';

describe('public API (src/index.ts)', () => {
  it('exports a defined value for every name, and the building blocks of each command', () => {
    for (const [name, value] of Object.entries(api)) expect(value, name).toBeDefined();
    for (const name of ['run', 'runAudit', 'formatReport', 'startSidecar', 'planPhpInit', 'writePhpHooks', 'planRewrite', 'generateSeam', 'renderManagedSettings', 'runDoctor', 'generateStack', 'startLocalStack', 'planFastapi', 'planLitellm']) {
      expect(typeof (api as Record<string, unknown>)[name], name).toBe('function');
    }
  });

  it('runs the CLI in-process', async () => {
    let out = '';
    const code = await api.run(['--version'], { stdout: { write: (s: string) => (out += s) }, stderr: { write: () => true }, env: {}, cwd: process.cwd() });
    expect(code).toBe(0);
    expect(out.trim()).toBe(api.VERSION);
  });
});
