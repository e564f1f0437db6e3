// Type-checks the SDK's declarations (sdk/sdk.d.ts) as an app would use them: every export,
// the shapes they return, and mistakes the types must refuse (each `@ts-expect-error` line
// fails the check if it stops being an error). Run by sdk-types.mjs, or by hand:
// `cd tests/browser && npx tsc -p types`.

import {
  Embedded,
  PassgateError,
  authenticate,
  bindPasskey,
  createBindPasskeyUrl,
  deletePasskey,
  getPasskeys,
  getSession,
  isAuthenticateUrl,
  isBindPasskeyUrl,
  isConditionalMediationAvailable,
  isSupported,
  renamePasskey,
  signOut,
  type AuthenticateResponse,
  type BindPasskeyResponse,
  type Identity,
  type Passkey,
  type PassgateErrorCode,
  type Session,
} from '../../../sdk/sdk.js';

function explain(err: unknown): string {
  if (!(err instanceof PassgateError)) return String(err);
  const code: PassgateErrorCode = err.code;
  switch (code) {
    case 'RateLimited':
      return `wait ${err.retryAfter ?? 60} s`;
    case 'Expired':
      return `link used or expired (${err.status} ${err.serverCode})`;
    default:
      return err.message;
  }
}

export async function app(): Promise<string[]> {
  const out: string[] = [];
  if (!isSupported()) return out;
  const url: string = location.href;
  if (isBindPasskeyUrl(url)) {
    const bound: BindPasskeyResponse = await bindPasskey(url, { signal: new AbortController().signal });
    const redirect: string | undefined = bound.postBindingRedirectUri;
    out.push(bound.passkey.credentialId, bound.identity.username, redirect ?? '');
  }
  if (isAuthenticateUrl(url) && (await isConditionalMediationAvailable())) {
    const r: AuthenticateResponse = await authenticate({ mediation: 'conditional', rd: '/next' });
    out.push(r.redirectUrl);
  }
  const r = await authenticate({ username: 'alice' }).catch((e: unknown) => explain(e));
  if (typeof r !== 'string') out.push(r.identity.id);
  const session: Session | null = await getSession();
  if (session) {
    const who: Identity = session.identity;
    const at: number = session.session.authTime;
    out.push(who.username, who.emailAddress ?? '', String(at), ...(who.groups ?? []));
  }
  const keys: Passkey[] = await getPasskeys();
  for (const k of keys) {
    const renamed: Passkey = await renamePasskey(k.id, `${k.name} (old)`);
    const state: 'Active' | 'Revoked' = renamed.state;
    out.push(state, renamed.lastUsed ?? 'never', renamed.realm.id);
  }
  const gone: void = await deletePasskey('id');
  void gone;
  out.push(await createBindPasskeyUrl());
  out.push(await createBindPasskeyUrl({ authenticatorConfigId: 'embedded-app' }));
  await signOut();

  const other: Embedded = await Embedded.initialize({ baseUrl: 'https://auth.example.com' });
  const base: string = other.baseUrl;
  out.push(base, (await new Embedded().getPasskeys()).length.toString());
  const e = new PassgateError('Network', 'offline');
  out.push(e.name, e.code);
  return out;
}

// Mistakes the declarations must refuse.
export async function mistakes(): Promise<void> {
  // @ts-expect-error: authenticate takes an options object, not a URL
  await authenticate('https://app.example.com/.passgate/login');
  // @ts-expect-error: mediation is a CredentialMediationRequirement
  await authenticate({ mediation: 'sometimes' });
  // @ts-expect-error: passkey ids are strings
  await renamePasskey(1, 'x');
  // @ts-expect-error: bindPasskey needs the link
  await bindPasskey();
  // @ts-expect-error: not an error code
  const code: PassgateErrorCode = 'Cancelled';
  void code;
  // @ts-expect-error: isSupported is synchronous
  (await isSupported()).then(() => undefined);
  // @ts-expect-error: getSession may give null
  (await getSession()).identity;
  // @ts-expect-error: the config has no such key
  await Embedded.initialize({ origin: 'https://auth.example.com' });
  // @ts-expect-error: the configuration id is a string option, not an argument
  await createBindPasskeyUrl('embedded-app');
}
