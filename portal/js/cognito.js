// @ts-check
// Sign-in through Cognito's own API (the same JSON calls against AWS and embedded Cognito).
import { config } from "./config.js";

export class CognitoError extends Error {
  constructor(type, message) {
    super(message);
    this.type = type; // e.g. NotAuthorizedException, CodeMismatchException
  }
}

const MESSAGES = {
  NotAuthorizedException: "The member ID or email and password do not match.",
  UserNotFoundException: "The member ID or email and password do not match.",
  CodeMismatchException: "That code is not the one we sent.",
  ExpiredCodeException: "That code has expired. Ask for a new one.",
  InvalidPasswordException: "Choose a password of at least 12 characters with upper and lower case letters and a number.",
  LimitExceededException: "Too many attempts. Wait a few minutes and try again.",
  TooManyRequestsException: "Too many attempts. Wait a few minutes and try again.",
};

async function call(action, body) {
  const { cognito_url: url, region } = await config();
  const endpoint = url || `https://cognito-idp.${region}.amazonaws.com/`;
  let response;
  try {
    response = await fetch(endpoint, {
      method: "POST",
      headers: {
        "Content-Type": "application/x-amz-json-1.1",
        "X-Amz-Target": `AWSCognitoIdentityProviderService.${action}`,
      },
      body: JSON.stringify(body),
    });
  } catch {
    throw new CognitoError("NetworkError", "The sign-in service could not be reached. Check your connection.");
  }
  const data = await response.json().catch(() => ({}));
  if (!response.ok) {
    const type = String(data.__type || data.code || "Error").split("#").pop();
    throw new CognitoError(type, MESSAGES[type] || data.message || "Sign-in failed.");
  }
  return data;
}

async function clientId(staff) {
  const settings = await config();
  return staff ? settings.staff_client_id : settings.client_id;
}

/** Tokens, or a challenge: {challenge: "NEW_PASSWORD_REQUIRED" | ..., session, username}. */
export async function signIn(username, password, { staff = false } = {}) {
  const answer = await call("InitiateAuth", {
    AuthFlow: "USER_PASSWORD_AUTH",
    ClientId: await clientId(staff),
    AuthParameters: { USERNAME: username, PASSWORD: password },
  });
  return outcome(answer, username);
}

export async function setNewPassword(challenge, newPassword, { staff = false } = {}) {
  const answer = await call("RespondToAuthChallenge", {
    ChallengeName: "NEW_PASSWORD_REQUIRED",
    ClientId: await clientId(staff),
    Session: challenge.session,
    ChallengeResponses: { USERNAME: challenge.username, NEW_PASSWORD: newPassword },
  });
  return outcome(answer, challenge.username);
}

export async function answerMfa(challenge, code, { staff = true } = {}) {
  const answer = await call("RespondToAuthChallenge", {
    ChallengeName: challenge.challenge,
    ClientId: await clientId(staff),
    Session: challenge.session,
    ChallengeResponses: { USERNAME: challenge.username, SOFTWARE_TOKEN_MFA_CODE: code },
  });
  return outcome(answer, challenge.username);
}

export async function forgotPassword(username, { staff = false } = {}) {
  return call("ForgotPassword", { ClientId: await clientId(staff), Username: username });
}

export async function confirmForgotPassword(username, code, newPassword, { staff = false } = {}) {
  return call("ConfirmForgotPassword", {
    ClientId: await clientId(staff),
    Username: username,
    ConfirmationCode: code,
    Password: newPassword,
  });
}

export async function refresh(refreshToken, { staff = false } = {}) {
  const answer = await call("InitiateAuth", {
    AuthFlow: "REFRESH_TOKEN_AUTH",
    ClientId: await clientId(staff),
    AuthParameters: { REFRESH_TOKEN: refreshToken },
  });
  return { ...answer.AuthenticationResult, RefreshToken: refreshToken };
}

export async function globalSignOut(accessToken) {
  return call("GlobalSignOut", { AccessToken: accessToken });
}

function outcome(answer, username) {
  if (answer.AuthenticationResult) return { tokens: answer.AuthenticationResult };
  return {
    challenge: answer.ChallengeName,
    session: answer.Session,
    username: answer.ChallengeParameters?.USERNAME || username,
  };
}

/** First sign-in of staff (MFA required): an authenticator app is set up with this secret. */
export async function startMfaSetup(challenge) {
  const answer = await call("AssociateSoftwareToken", { Session: challenge.session });
  return { ...challenge, session: answer.Session, secret: answer.SecretCode };
}

export async function finishMfaSetup(setup, code, { staff = true } = {}) {
  const verified = await call("VerifySoftwareToken", { Session: setup.session, UserCode: code, FriendlyDeviceName: "CCP" });
  const answer = await call("RespondToAuthChallenge", {
    ChallengeName: "MFA_SETUP",
    ClientId: await clientId(staff),
    Session: verified.Session,
    ChallengeResponses: { USERNAME: setup.username },
  });
  return outcome(answer, setup.username);
}
