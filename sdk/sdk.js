// passgate embedded SDK: passkey binding, sign-in, self-service and sessions for pages
// that draw their own UI. An ES module with no dependencies; types in sdk.d.ts; reference
// in docs/embedded-sdk.md. Served by passgate at /.passgate/sdk.js and, immutable, at
// /.passgate/sdk/v<version>/sdk.js. It speaks the ceremony JSON of /.passgate/api/v1/*.

const API = '/.passgate/api/v1';

/** Every failure of the SDK: `code` is stable, `message` is for people. */
export class PassgateError extends Error {
  constructor(code, message, extra) {
    super(message, extra && extra.cause ? { cause: extra.cause } : undefined);
    this.name = 'PassgateError';
    this.code = code;
    Object.assign(this, extra);
  }
}

// Server error codes (passgate's JSON errors) to SDK codes.
const SERVER = {
  unauthorized: 'Unauthenticated',
  reauthentication_required: 'ReauthenticationRequired',
  forbidden: 'Forbidden',
  suspended: 'Suspended',
  not_found: 'NotFound',
  gone: 'Expired',
  conflict: 'Conflict',
  too_many_requests: 'RateLimited',
  bad_request: 'BadRequest',
  unprocessable_entity: 'BadRequest',
  payload_too_large: 'BadRequest',
};

// The first field a `FieldViolations` detail names (passgate's error details follow
// Beyond Identity's: `{"type": "FieldViolations", "field_violations": [{field, description}]}`).
function violatedField(details) {
  if (!Array.isArray(details)) return undefined;
  for (const d of details) {
    if (d && d.type === 'FieldViolations' && Array.isArray(d.field_violations) && d.field_violations[0]) {
      return d.field_violations[0].field;
    }
  }
  return undefined;
}

// DOMException names from navigator.credentials to SDK codes.
const BROWSER = {
  NotAllowedError: 'NotAllowed',
  AbortError: 'Aborted',
  InvalidStateError: 'InvalidState',
  SecurityError: 'Security',
  NotSupportedError: 'NotSupported',
  ConstraintError: 'NotSupported',
};

function fromResponse(resp, data, step) {
  const body = data && typeof data === 'object' ? data : {};
  const status = resp.status;
  let code = SERVER[body.code] || (status >= 500 ? 'Server' : status === 429 ? 'RateLimited' : 'BadRequest');
  if (step === 'bind' && code === 'NotFound') code = 'InvalidToken';
  if (step === 'bind' && code === 'Forbidden') code = 'Suspended';
  const field = violatedField(body.details);
  if (step && code === 'BadRequest' && field === 'credential') code = 'VerificationFailed';
  const retry = Number(resp.headers.get('Retry-After'));
  return new PassgateError(code, body.message || `passgate answered ${status}`, {
    status,
    serverCode: body.code,
    retryAfter: retry > 0 ? retry : undefined,
  });
}

function fromBrowser(err, signal) {
  if (err instanceof PassgateError) return err;
  if (signal && signal.aborted) return new PassgateError('Aborted', 'The request was aborted.', { cause: err });
  const code = (err && BROWSER[err.name]) || 'Unknown';
  return new PassgateError(code, (err && err.message) || String(err), { cause: err });
}

// base64url without padding (padded input is accepted).
const b64 = {
  decode(s) {
    const t = s.replace(/=+$/, '').replace(/-/g, '+').replace(/_/g, '/');
    const bin = atob(t + '='.repeat((4 - (t.length % 4)) % 4));
    return Uint8Array.from(bin, (c) => c.charCodeAt(0)).buffer;
  },
  encode(buf) {
    let bin = '';
    for (const b of new Uint8Array(buf)) bin += String.fromCharCode(b);
    return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  },
};

const ids = (list) => (list || []).map((c) => ({ ...c, id: b64.decode(c.id) }));

function creationOptions(json) {
  const P = globalThis.PublicKeyCredential;
  if (P.parseCreationOptionsFromJSON) return P.parseCreationOptionsFromJSON(json);
  return {
    ...json,
    challenge: b64.decode(json.challenge),
    user: { ...json.user, id: b64.decode(json.user.id) },
    excludeCredentials: ids(json.excludeCredentials),
  };
}

function requestOptions(json) {
  const P = globalThis.PublicKeyCredential;
  if (P.parseRequestOptionsFromJSON) return P.parseRequestOptionsFromJSON(json);
  return { ...json, challenge: b64.decode(json.challenge), allowCredentials: ids(json.allowCredentials) };
}

// The W3C RegistrationResponseJSON / AuthenticationResponseJSON: toJSON() where the browser
// has it, else the same fields by hand (binary extension outputs are not encoded).
function credentialJSON(cred) {
  if (typeof cred.toJSON === 'function') return cred.toJSON();
  const r = cred.response;
  const response = { clientDataJSON: b64.encode(r.clientDataJSON) };
  if (r.attestationObject) {
    response.attestationObject = b64.encode(r.attestationObject);
    if (r.getAuthenticatorData) response.authenticatorData = b64.encode(r.getAuthenticatorData());
    response.transports = r.getTransports ? r.getTransports() : [];
    const key = r.getPublicKey && r.getPublicKey();
    if (key) response.publicKey = b64.encode(key);
    if (r.getPublicKeyAlgorithm) response.publicKeyAlgorithm = r.getPublicKeyAlgorithm();
  } else {
    response.authenticatorData = b64.encode(r.authenticatorData);
    response.signature = b64.encode(r.signature);
    if (r.userHandle) response.userHandle = b64.encode(r.userHandle);
  }
  const json = { id: cred.id, rawId: b64.encode(cred.rawId), type: cred.type, response };
  if (cred.authenticatorAttachment) json.authenticatorAttachment = cred.authenticatorAttachment;
  json.clientExtensionResults = cred.getClientExtensionResults ? cred.getClientExtensionResults() : {};
  return json;
}

function identity(i) {
  if (!i) return undefined;
  const t = i.traits || {};
  const out = { id: i.id, username: t.username || i.username };
  const email = t.primary_email_address || i.email;
  if (i.display_name) out.displayName = i.display_name;
  if (email) out.emailAddress = email;
  if (t.external_id) out.externalId = t.external_id;
  if (i.groups) out.groups = i.groups;
  return out;
}

function passkey(p) {
  return {
    id: p.id,
    credentialId: p.credential_id,
    name: p.name,
    state: p.state === 'ACTIVE' ? 'Active' : 'Revoked',
    created: p.create_time,
    updated: p.update_time,
    lastUsed: p.last_used_time || null,
    aaguid: p.aaguid,
    transports: p.transports || [],
    backupEligible: !!p.backup_eligible,
    backupState: !!p.backup_state,
    tenant: { id: p.tenant_id },
    realm: { id: p.realm_id },
    identity: { id: p.identity_id },
  };
}

// The token of a binding link, or null (never throws).
function bindToken(url) {
  try {
    const base = globalThis.location ? globalThis.location.href : undefined;
    const token = new URL(url, base).searchParams.get('token');
    return token && /^[A-Za-z0-9_-]{16,128}$/.test(token) ? token : null;
  } catch {
    return null;
  }
}

// An AbortController that follows the caller's signal too.
function follow(signal) {
  const c = new AbortController();
  if (signal) {
    if (signal.aborted) c.abort(signal.reason);
    else signal.addEventListener('abort', () => c.abort(signal.reason), { once: true });
  }
  return c;
}

// A browser may resolve with null instead of a credential (no passkey chosen).
function chosen(cred) {
  if (!cred) throw new PassgateError('NotAllowed', 'No passkey was chosen.');
  return cred;
}

function defaultBase() {
  try {
    const u = new URL(import.meta.url);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.origin : '';
  } catch {
    return '';
  }
}

/** Passkey sign-in against one passgate origin. */
export class Embedded {
  #base;
  #conditional = null;

  /** BI-style constructor: `const embedded = await Embedded.initialize({ baseUrl })`. */
  static async initialize(config) {
    return new Embedded(config);
  }

  constructor(config) {
    const base = config && config.baseUrl;
    this.#base = base ? new URL(base).origin : defaultBase();
  }

  /** The origin this client talks to ('' for the page's own). */
  get baseUrl() {
    return this.#base;
  }

  async #call(method, path, body, step, signal) {
    let resp;
    try {
      resp = await fetch(this.#base + API + path, {
        method,
        headers: body === undefined ? { Accept: 'application/json' } : { Accept: 'application/json', 'Content-Type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
        credentials: 'include',
        cache: 'no-store',
        signal,
      });
    } catch (err) {
      if (signal && signal.aborted) throw fromBrowser(err, signal);
      throw new PassgateError('Network', 'passgate could not be reached.', { cause: err });
    }
    if (resp.status === 204) return null;
    let data = null;
    try {
      data = await resp.json();
    } catch (err) {
      if (signal && signal.aborted) throw fromBrowser(err, signal);
    }
    if (!resp.ok) throw fromResponse(resp, data, step);
    if (!data || typeof data !== 'object') {
      throw new PassgateError('Server', `passgate answered ${resp.status} without JSON.`, { status: resp.status });
    }
    return data;
  }

  /** Creates a passkey from a binding link (`…?token=…`) and signs in. */
  async bindPasskey(url, options) {
    const token = bindToken(url);
    if (!token) throw new PassgateError('InvalidToken', 'This is not a passkey binding link: it has no token.');
    requireSupport();
    const c = follow(options && options.signal);
    try {
      const begin = await this.#call('POST', '/bind/begin', { token }, 'bind', c.signal);
      const cred = chosen(await navigator.credentials.create({ publicKey: creationOptions(begin.publicKey), signal: c.signal }));
      const done = await this.#call('POST', '/bind/finish', { ceremony: begin.ceremony, credential: credentialJSON(cred) }, 'bind', c.signal);
      const out = { passkey: passkey(done.passkey), identity: identity(done.identity) };
      if (done.redirect) out.postBindingRedirectUri = done.redirect;
      return out;
    } catch (err) {
      throw fromBrowser(err, c.signal);
    }
  }

  /**
   * Signs in with a passkey: usernameless, or for `username`; `mediation: "conditional"`
   * offers passkeys in the autofill of an `autocomplete="username webauthn"` field and
   * waits for the user to pick one. Any call aborts this client's pending conditional one.
   */
  async authenticate(options) {
    const { username, mediation, rd, signal } = options || {};
    requireSupport();
    if (this.#conditional) this.#conditional.abort(new PassgateError('Aborted', 'Replaced by another authenticate() call.'));
    const c = follow(signal);
    if (mediation === 'conditional') {
      this.#conditional = c;
      if (!(await isConditionalMediationAvailable())) {
        this.#conditional = null;
        throw new PassgateError('NotSupported', 'This browser does not offer passkeys in autofill.');
      }
    }
    try {
      const beginBody = username ? { username } : {};
      if (mediation === 'conditional') beginBody.mediation = 'conditional';
      const begin = await this.#call('POST', '/authenticate/begin', beginBody, 'signin', c.signal);
      const request = { publicKey: requestOptions(begin.publicKey), signal: c.signal };
      if (mediation) request.mediation = mediation;
      const cred = chosen(await navigator.credentials.get(request));
      const body = { ceremony: begin.ceremony, credential: credentialJSON(cred) };
      if (rd) body.rd = rd;
      const done = await this.#call('POST', '/authenticate/finish', body, 'signin', c.signal);
      return { redirectUrl: done.redirect, identity: identity(done.identity) };
    } catch (err) {
      throw fromBrowser(err, c.signal);
    } finally {
      if (this.#conditional === c) this.#conditional = null;
    }
  }

  /** The signed-in user's active passkeys. */
  async getPasskeys() {
    return (await this.#call('GET', '/passkeys')).passkeys.map(passkey);
  }

  /** Renames one of the signed-in user's passkeys; returns it. */
  async renamePasskey(id, name) {
    return passkey((await this.#call('PATCH', `/passkeys/${encodeURIComponent(id)}`, { name })).passkey);
  }

  /** Removes one of the signed-in user's passkeys (not the last; needs a recent sign-in). */
  async deletePasskey(id) {
    await this.#call('DELETE', `/passkeys/${encodeURIComponent(id)}`);
  }

  /**
   * A one-time binding link for the signed-in user (needs a recent sign-in), made with the
   * authenticator configuration `authenticatorConfigId` (default: passgate's hosted page).
   */
  async createBindPasskeyUrl(options) {
    const id = options && options.authenticatorConfigId;
    return (await this.#call('POST', '/passkeys/link', id ? { authenticator_config_id: id } : {})).link;
  }

  /** The signed-in user and session, or null when signed out. */
  async getSession() {
    try {
      const s = await this.#call('GET', '/session');
      return {
        identity: identity(s.identity),
        session: { id: s.session.id, authTime: s.session.auth_time, expiresAt: s.session.expires_at },
      };
    } catch (err) {
      if (err.code === 'Unauthenticated') return null;
      throw err;
    }
  }

  /** Ends the session (server-side and the cookie). */
  async signOut() {
    await this.#call('DELETE', '/session');
  }
}

/** Whether this browser can run passkey ceremonies. */
export function isSupported() {
  return !!(globalThis.PublicKeyCredential && globalThis.navigator && navigator.credentials);
}

function requireSupport() {
  if (!isSupported()) throw new PassgateError('NotSupported', 'This browser does not support passkeys.');
}

/** Whether this browser offers passkeys in autofill (`mediation: "conditional"`). */
export async function isConditionalMediationAvailable() {
  const P = globalThis.PublicKeyCredential;
  if (!P || !P.isConditionalMediationAvailable) return false;
  try {
    return await P.isConditionalMediationAvailable();
  } catch {
    return false;
  }
}

/** Whether `url` is a passkey binding link (it carries a `token`). */
export function isBindPasskeyUrl(url) {
  return bindToken(url) !== null;
}

/** Whether `url` is passgate's sign-in URL (`…/.passgate/login`, where it sends browsers). */
export function isAuthenticateUrl(url) {
  try {
    return new URL(url, globalThis.location ? globalThis.location.href : undefined).pathname === '/.passgate/login';
  } catch {
    return false;
  }
}

const sdk = new Embedded();
export const bindPasskey = (url, options) => sdk.bindPasskey(url, options);
export const authenticate = (options) => sdk.authenticate(options);
export const getPasskeys = () => sdk.getPasskeys();
export const renamePasskey = (id, name) => sdk.renamePasskey(id, name);
export const deletePasskey = (id) => sdk.deletePasskey(id);
export const createBindPasskeyUrl = (options) => sdk.createBindPasskeyUrl(options);
export const getSession = () => sdk.getSession();
export const signOut = () => sdk.signOut();
