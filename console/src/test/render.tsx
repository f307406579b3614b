// Rendering components in Vitest with the English dictionary.
import { render } from '@testing-library/react';
import type { ReactElement } from 'react';
import { I18nProvider } from '../i18n/i18n';

export function renderEn(ui: ReactElement) {
  return render(<I18nProvider lang="en">{ui}</I18nProvider>);
}
