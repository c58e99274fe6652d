// @ts-check
// The signed-in session: Cognito's tokens in this tab's sessionStorage (gone when the tab closes),
// refreshed before the ID token expires.
import { globalSignOut, refresh } from "./cognito.js";

const KEY = "ccp.session";
const EARLY_SECONDS = 120;

export function claimsOf(idToken) {
  const payload = idToken.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
  const json = decodeURIComponent(
    [...atob(payload)].map((c) => "%" + c.charCodeAt(0).toString(16).padStart(2, "0")).join(""),
  );
  return JSON.parse(json);
}

export function current() {
  try {
    return JSON.parse(sessionStorage.getItem(KEY) || "null");
  } catch {
    return null;
  }
}

export function start(tokens, { staff = false } = {}) {
  const claims = claimsOf(tokens.IdToken);
  const session = {
    idToken: tokens.IdToken,
    accessToken: tokens.AccessToken,
    refreshToken: tokens.RefreshToken,
    expiresAt: claims.exp,
    memberId: claims["custom:member_id"] || null,
    groups: claims["cognito:groups"] || [],
    staff,
  };
  sessionStorage.setItem(KEY, JSON.stringify(session));
  return session;
}

/** A valid ID token, refreshed first if it is about to expire; null when signed out. */
export async function idToken() {
  const session = current();
  if (!session) return null;
  if (session.expiresAt - EARLY_SECONDS > Date.now() / 1000) return session.idToken;
  if (!session.refreshToken) return null;
  try {
    const tokens = await refresh(session.refreshToken, { staff: session.staff });
    return start(tokens, { staff: session.staff }).idToken;
  } catch {
    end();
    return null;
  }
}

export async function signOut() {
  const session = current();
  end();
  if (session?.accessToken) {
    // Revokes the refresh token too; the page is signed out either way.
    await globalSignOut(session.accessToken).catch(() => {});
  }
}

export function end() {
  sessionStorage.removeItem(KEY);
}
