// Upload a configuration file: the server dry-runs it and the diff is shown;
// "Apply" applies exactly that file and shows the report. Choosing a file
// again checks it again; an answer for a file no longer chosen is dropped.
import { useRef, useState, type ChangeEvent } from 'react';
import type { Api } from '../../api/client';
import { useI18n } from '../../i18n/i18n';
import { Field } from '../form/Field';
import { ApplyProblem } from './ApplyProblem';
import { ApplyReportView, type ApplyReport } from './ApplyReportView';
import { ChangeList } from './ChangeList';

type State =
  | { phase: 'idle' }
  | { phase: 'checking'; name: string }
  | { phase: 'refused'; name: string; error: unknown; applied: boolean }
  | { phase: 'diff'; name: string; text: string; dry: ApplyReport; applying: boolean }
  | { phase: 'applied'; name: string; report: ApplyReport };

async function send(api: Api, text: string, dryRun: boolean) {
  // The server reads the file as the CLI does (YAML; JSON is YAML too).
  return api.admin.POST('/admin/v1/apply', {
    params: { query: { dry_run: dryRun } },
    body: text,
    // Sent as it is (the body is the file, not JSON).
    bodySerializer: (b: unknown) => (typeof b === 'string' ? b : JSON.stringify(b)),
    headers: { 'Content-Type': 'application/yaml' },
  });
}

export function UploadConfiguration({ api }: { api: Api }) {
  const { t } = useI18n();
  const [state, setState] = useState<State>({ phase: 'idle' });
  const latest = useRef(0);

  const choose = async (e: ChangeEvent<HTMLInputElement>) => {
    const input = e.currentTarget;
    const file = input.files?.[0];
    if (!file) return;
    const turn = ++latest.current;
    setState({ phase: 'checking', name: file.name });
    let text: string;
    try {
      text = await file.text();
    } catch (error) {
      if (turn === latest.current) setState({ phase: 'refused', name: file.name, error, applied: false });
      return;
    } finally {
      // The same file may be chosen again (after editing it, or to check an apply).
      input.value = '';
    }
    const { data, error } = await send(api, text, true);
    if (turn !== latest.current) return;
    if (data) setState({ phase: 'diff', name: file.name, text, dry: data, applying: false });
    else setState({ phase: 'refused', name: file.name, error, applied: false });
  };

  const apply = async () => {
    if (state.phase !== 'diff') return;
    const { name, text } = state;
    const turn = ++latest.current;
    setState({ ...state, applying: true });
    const { data, error } = await send(api, text, false);
    if (turn !== latest.current) return;
    if (data) setState({ phase: 'applied', name, report: data });
    else setState({ phase: 'refused', name, error, applied: true });
  };

  return (
    <section className="config-upload" aria-labelledby="config-upload-title">
      <h2 id="config-upload-title">{t('config.uploadTitle')}</h2>
      <Field label={t('config.file')} hint={t('config.fileHint')}>
        {(control) => (
          <input
            {...control}
            type="file"
            accept=".yaml,.yml,.json,application/yaml,application/json,text/yaml"
            onChange={(e) => void choose(e)}
          />
        )}
      </Field>
      <div aria-live="polite">
        {state.phase === 'checking' && <p role="status">{t('config.checking', { name: state.name })}</p>}
      </div>
      {state.phase === 'refused' && <ApplyProblem error={state.error} nothingChanged={!state.applied} />}
      {state.phase === 'diff' && (
        <section className="config-diff" aria-labelledby="config-diff-title">
          <h2 id="config-diff-title">{t('config.diffTitle', { name: state.name })}</h2>
          <ChangeList changes={state.dry.changes} none={t('config.noChanges')} />
          {state.dry.changes.length > 0 && (
            <>
              <p className="help">{t('config.applyHint')}</p>
              <button type="button" className="primary" onClick={() => void apply()} disabled={state.applying}>
                {state.applying ? t('config.applying') : t('config.apply')}
              </button>
            </>
          )}
        </section>
      )}
      {state.phase === 'applied' && <ApplyReportView report={state.report} name={state.name} />}
    </section>
  );
}
