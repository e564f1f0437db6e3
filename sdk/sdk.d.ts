// Types of the passgate embedded SDK (sdk.js). Reference: docs/embedded-sdk.md.

/** Stable codes of {@link PassgateError}. */
export type PassgateErrorCode =
  /** The browser refused: the user cancelled, it timed out, or this device has no passkey for the site. */
  | 'NotAllowed'
  /** Aborted by the caller's signal, or replaced by a newer `authenticate()` call. */
  | 'Aborted'
  /** This authenticator already holds a passkey for the account. */
  | 'InvalidState'
  /** The page's origin does not fit the passkey's relying party. */
  | 'Security'
  /** No WebAuthn (or no autofill for `mediation: "conditional"`), or the authenticator cannot do what is asked. */
  | 'NotSupported'
  /** A binding URL without a token, or a token passgate does not know. */
  | 'InvalidToken'
  /** The link or the ceremony can no longer be used: already used, revoked or expired. */
  | 'Expired'
  /** The account is not active. */
  | 'Suspended'
  /** Refused for another reason (e.g. a passkey whose signature counter went backwards); see `message`. */
  | 'Forbidden'
  /** Not signed in. */
  | 'Unauthenticated'
  /** The action needs a recent sign-in: sign in again. */
  | 'ReauthenticationRequired'
  /** No such passkey (sign-in: the passkey is not, or no longer, registered). */
  | 'NotFound'
  /** The change conflicts with the current state (e.g. removing one's only passkey). */
  | 'Conflict'
  /** Too many attempts; `retryAfter` says how many seconds to wait. */
  | 'RateLimited'
  /** passgate could not verify the passkey's response. */
  | 'VerificationFailed'
  /** passgate refused the request as malformed. */
  | 'BadRequest'
  /** passgate could not be reached (offline, DNS, refused by CORS). */
  | 'Network'
  /** passgate failed (5xx) or answered something that is not its JSON. */
  | 'Server'
  /** Anything else; see `cause`. */
  | 'Unknown';

export class PassgateError extends Error {
  readonly name: 'PassgateError';
  readonly code: PassgateErrorCode;
  /** The HTTP status when passgate answered with an error. */
  readonly status?: number;
  /** passgate's own JSON error `code` (e.g. `"gone"`), when it answered with one. */
  readonly serverCode?: string;
  /** Seconds to wait before trying again (`RateLimited`). */
  readonly retryAfter?: number;
  /** The underlying error (a DOMException, a TypeError from fetch, …). */
  readonly cause?: unknown;
  constructor(code: PassgateErrorCode, message: string, extra?: Record<string, unknown>);
}

/** BI's `Identity`: who a passkey or session belongs to. */
export interface Identity {
  id: string;
  username: string;
  displayName?: string;
  emailAddress?: string;
  externalId?: string;
  /** Group names (from `getSession()` only). */
  groups?: string[];
}

/** A passkey of the signed-in user, as passgate stores it. */
export interface Passkey {
  /** passgate's id of the passkey: what `renamePasskey` and `deletePasskey` take. */
  id: string;
  /** The WebAuthn credential id (base64url). */
  credentialId: string;
  name: string;
  state: 'Active' | 'Revoked';
  /** RFC 3339 times. */
  created: string;
  updated: string;
  lastUsed: string | null;
  aaguid: string;
  transports: string[];
  backupEligible: boolean;
  backupState: boolean;
  tenant: { id: string };
  realm: { id: string };
  identity: { id: string };
}

export interface BindPasskeyResponse {
  passkey: Passkey;
  identity: Identity;
  /** The job's `post_binding_redirect_uri`, when it has one. */
  postBindingRedirectUri?: string;
}

export interface AuthenticateOptions {
  /** Username-first sign-in; usernameless (discoverable passkeys) without it. */
  username?: string;
  /** `"conditional"`: offer passkeys in autofill and wait for the user to pick one. */
  mediation?: CredentialMediationRequirement;
  /** Where to go after sign-in; passgate answers with it in `redirectUrl` when it is on a host it fronts. */
  rd?: string;
  signal?: AbortSignal;
}

export interface AuthenticateResponse {
  /** `rd` when allowed, else `/`. */
  redirectUrl: string;
  identity: Identity;
}

export interface Session {
  identity: Identity;
  session: {
    id: string;
    /** Seconds since the Unix epoch of the passkey sign-in. */
    authTime: number;
    /** Seconds since the Unix epoch when the session ends unless used. */
    expiresAt: number;
  };
}

export interface EmbeddedConfig {
  /** The origin passgate answers on; default: the origin this module was loaded from. */
  baseUrl?: string;
}

export interface CeremonyOptions {
  signal?: AbortSignal;
}

export interface BindPasskeyUrlOptions {
  /** The realm's authenticator configuration the link is made with (default `hosted_web`). */
  authenticatorConfigId?: string;
}

/** A client for one passgate origin; the top-level functions use one for the SDK's own origin. */
export class Embedded {
  static initialize(config?: EmbeddedConfig): Promise<Embedded>;
  constructor(config?: EmbeddedConfig);
  /** The origin this client talks to (`""` for the page's own). */
  readonly baseUrl: string;
  bindPasskey(url: string, options?: CeremonyOptions): Promise<BindPasskeyResponse>;
  authenticate(options?: AuthenticateOptions): Promise<AuthenticateResponse>;
  getPasskeys(): Promise<Passkey[]>;
  renamePasskey(id: string, name: string): Promise<Passkey>;
  deletePasskey(id: string): Promise<void>;
  createBindPasskeyUrl(options?: BindPasskeyUrlOptions): Promise<string>;
  getSession(): Promise<Session | null>;
  signOut(): Promise<void>;
}

/** Creates a passkey from a binding link (`…?token=…`) and signs in. */
export function bindPasskey(url: string, options?: CeremonyOptions): Promise<BindPasskeyResponse>;
/** Signs in with a passkey (see {@link AuthenticateOptions}). */
export function authenticate(options?: AuthenticateOptions): Promise<AuthenticateResponse>;
/** The signed-in user's active passkeys. */
export function getPasskeys(): Promise<Passkey[]>;
/** Renames one of the signed-in user's passkeys. */
export function renamePasskey(id: string, name: string): Promise<Passkey>;
/** Removes one of the signed-in user's passkeys (never the last; needs a recent sign-in). */
export function deletePasskey(id: string): Promise<void>;
/**
 * A one-time binding link for the signed-in user, for another device (needs a recent
 * sign-in); with `authenticatorConfigId`, made with that authenticator configuration (an
 * embedded one links to the app's own page).
 */
export function createBindPasskeyUrl(options?: BindPasskeyUrlOptions): Promise<string>;
/** The signed-in user and session, or `null` when signed out. */
export function getSession(): Promise<Session | null>;
/** Ends the session. */
export function signOut(): Promise<void>;
/** Whether this browser can run passkey ceremonies. */
export function isSupported(): boolean;
/** Whether this browser offers passkeys in autofill. */
export function isConditionalMediationAvailable(): Promise<boolean>;
/** Whether `url` is a passkey binding link. */
export function isBindPasskeyUrl(url: string): boolean;
/** Whether `url` is passgate's sign-in URL (`…/.passgate/login`). */
export function isAuthenticateUrl(url: string): boolean;
