// Placeholder filling for the previews, mirroring shared/core: automated
// messages replace {AgentName} then {QueueName} everywhere (workstreams.rs,
// Workstream::automated: one str::replace per placeholder, in that order);
// canned responses fill {CustomerName} and {AgentName} in one pass, where
// only a {Name} of ASCII letters, digits and '_' (1 to 40) counts and a
// filled-in value is never read again (canned.rs, render).

export interface AutomatedSample {
  agentName: string;
  queueName: string;
}

/** An automated message's text as the customer would get it. */
export function fillAutomated(text: string, s: AutomatedSample): string {
  return text.split('{AgentName}').join(s.agentName).split('{QueueName}').join(s.queueName);
}

const NAME = /^[A-Za-z0-9_]{1,40}$/;

/** Each `{Name}` in `text`: where it starts and ends, and the name. */
export function placeholdersIn(text: string): { start: number; end: number; name: string }[] {
  const out: { start: number; end: number; name: string }[] = [];
  let at = 0;
  for (;;) {
    const start = text.indexOf('{', at);
    if (start < 0) break;
    const after = start + 1;
    const rest = text.slice(after);
    const close = rest.search(/[{}]/);
    if (close >= 0 && rest[close] === '}' && NAME.test(rest.slice(0, close))) {
      out.push({ start, end: after + close + 1, name: rest.slice(0, close) });
      at = after + close + 1;
    } else {
      at = after;
    }
  }
  return out;
}

/** A canned response's text with {CustomerName} and {AgentName} filled in. */
export function fillCanned(text: string, customerName: string, agentName: string): string {
  let out = '';
  let at = 0;
  for (const p of placeholdersIn(text)) {
    const value = p.name === 'CustomerName' ? customerName : p.name === 'AgentName' ? agentName : null;
    if (value === null) continue;
    out += text.slice(at, p.start) + value;
    at = p.end;
  }
  return out + text.slice(at);
}

/** Placeholders an automated message may not use (the API refuses them). */
export function unknownAutomatedPlaceholders(text: string): string[] {
  // The API reads every '{' up to the next '}' (or the end) as a placeholder.
  const out: string[] = [];
  let rest = text;
  for (let i = rest.indexOf('{'); i >= 0; i = rest.indexOf('{')) {
    const tail = rest.slice(i);
    const e = tail.indexOf('}');
    const ph = e >= 0 ? tail.slice(0, e + 1) : tail;
    if (ph !== '{AgentName}' && ph !== '{QueueName}') out.push(ph);
    rest = tail.slice(ph.length);
  }
  return out;
}
