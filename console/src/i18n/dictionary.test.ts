import { describe, expect, it } from 'vitest';
import { da, en, parts } from './dictionary';

describe('dictionary', () => {
  it('has each key in one part only, so no part silently overrides another', () => {
    const seen = new Map<string, string>();
    const clashes: string[] = [];
    for (const [name, part] of Object.entries(parts)) {
      for (const key of Object.keys(part.en)) {
        const owner = seen.get(key);
        if (owner) clashes.push(`${key} in ${owner} and ${name}`);
        seen.set(key, name);
      }
    }
    expect(clashes).toEqual([]);
  });
  it('has Danish for every English key, and nothing left blank', () => {
    for (const [name, part] of Object.entries(parts)) {
      expect(Object.keys(part.da).sort(), name).toEqual(Object.keys(part.en).sort());
    }
    expect(Object.entries(da).filter(([, v]) => !v.trim())).toEqual([]);
    expect(Object.keys(da).length).toBe(Object.keys(en).length);
  });
  it('keeps each admin section inside its own key prefix', () => {
    const prefix: Record<string, string> = { admin: 'admin.', channels: 'channels.', workstreams: 'ws.', queues: 'queues.', agents: 'agents.', routing: 'rules.', conversations: 'conv.', configuration: 'config.' };
    for (const [name, p] of Object.entries(prefix)) {
      const part = parts[name as keyof typeof parts];
      expect(Object.keys(part.en).filter((k) => !k.startsWith(p)), name).toEqual([]);
    }
  });
});
