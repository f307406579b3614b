// The previews fill placeholders exactly as shared/core does.
import { describe, expect, it } from 'vitest';
import { fillAutomated, fillCanned, unknownAutomatedPlaceholders } from './placeholders';

const sample = { agentName: 'Anna Jensen', queueName: 'Billing' };

describe('fillAutomated', () => {
  it('fills every {AgentName} and {QueueName}', () => {
    expect(fillAutomated('{AgentName} hjælper dig nu. {AgentName} er i {QueueName}.', sample)).toBe(
      'Anna Jensen hjælper dig nu. Anna Jensen er i Billing.',
    );
  });
  it('leaves other braces and text alone', () => {
    expect(fillAutomated('no placeholders {x}', sample)).toBe('no placeholders {x}');
    expect(fillAutomated('{CustomerName}', sample)).toBe('{CustomerName}');
  });
  it('replaces agent first, then queue, as the server does', () => {
    expect(fillAutomated('{AgentName}', { agentName: '{QueueName}', queueName: 'Q' })).toBe('Q');
    expect(fillAutomated('{QueueName}', { agentName: 'A', queueName: '{AgentName}' })).toBe('{AgentName}');
  });
});

describe('fillCanned', () => {
  it('fills both placeholders and leaves other braces', () => {
    expect(fillCanned('Hi {CustomerName}, {AgentName} here. {x y} {', 'Ada', 'Anna Jensen')).toBe(
      'Hi Ada, Anna Jensen here. {x y} {',
    );
  });
  it('is one pass: a value that reads like a placeholder stays', () => {
    expect(fillCanned('{CustomerName}', '{AgentName}', 'bo')).toBe('{AgentName}');
    expect(fillCanned('{{CustomerName}}', 'Åsa', 'b')).toBe('{Åsa}');
  });
  it('keeps text without placeholders and unknown names', () => {
    expect(fillCanned('no placeholders', 'a', 'b')).toBe('no placeholders');
    expect(fillCanned('{Other} {CustomerName}', 'Ada', 'b')).toBe('{Other} Ada');
  });
});

describe('unknownAutomatedPlaceholders', () => {
  it('names what the API would refuse', () => {
    expect(unknownAutomatedPlaceholders('{AgentName} in {QueueName}')).toEqual([]);
    expect(unknownAutomatedPlaceholders('Hi {CustomerName}')).toEqual(['{CustomerName}']);
    expect(unknownAutomatedPlaceholders('open { brace')).toEqual(['{ brace']);
  });
});
