// How people sign in here ('token' under serve, 'cognito' in AWS), from
// /config.json; null until it is read.
import { useEffect, useState } from 'react';
import { loadConfig, type AuthConfig } from '../../auth/config';

export function useAuthKind(): AuthConfig['kind'] | null {
  const [kind, setKind] = useState<AuthConfig['kind'] | null>(null);
  useEffect(() => {
    let live = true;
    void loadConfig().then((c) => live && setKind(c.auth.kind));
    return () => {
      live = false;
    };
  }, []);
  return kind;
}
