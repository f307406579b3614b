// English or Danish, remembered.
import { useI18n } from '../i18n/i18n';

export function LanguageSwitch() {
  const { lang, setLang, t } = useI18n();
  return (
    <label className="language">
      <span className="visually-hidden">{t('language')}</span>
      <select value={lang} onChange={(e) => setLang(e.target.value === 'da' ? 'da' : 'en')}>
        <option value="en">English</option>
        <option value="da">Dansk</option>
      </select>
    </label>
  );
}
