// A small form's state: what is typed (kept as typed), the API's problem
// with it, and whether a save is running.
import { useState } from 'react';
import type { FormProblem } from './formProblem';

export function useFormValues<V extends Record<string, string>>(initial: V) {
  const [v, setV] = useState(initial);
  const [problem, setProblem] = useState<FormProblem | null>(null);
  const [busy, setBusy] = useState(false);
  /** An input's onChange that keeps its value under `k`. */
  const set = (k: keyof V) => (e: { target: { value: string } }) => setV((o) => ({ ...o, [k]: e.target.value }));
  return { v, setV, set, problem, setProblem, busy, setBusy };
}
