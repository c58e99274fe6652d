// @ts-check
// Sign-in: member id or email and password; an invited member's first sign-in (a new password);
// "Forgot password" (a code by email, then a new password).
import {
  answerMfa, confirmForgotPassword, finishMfaSetup, forgotPassword, setNewPassword, signIn, startMfaSetup,
} from "../cognito.js";
import * as session from "../session.js";
import { busy, field, h, noticeBox, render } from "../ui.js";

const PASSWORD_HINT = "At least 12 characters, with upper and lower case letters and a number.";

export function showSignIn(main, { onSignedIn, staff = false, title = "Sign in to the member portal" }) {
  const username = h("input", { name: "username", autocomplete: "username", required: true, spellcheck: "false" });
  const password = h("input", { name: "password", type: "password", autocomplete: "current-password", required: true });
  const form = h("form", { class: "card narrow", "aria-label": "Sign in", novalidate: true },
    field(staff ? "Username or email" : "Member ID or email", username),
    field("Password", password),
    h("div", { class: "actions" },
      h("button", { type: "submit" }, "Sign in"),
      h("button", { type: "button", class: "secondary", onclick: () => showForgot(main, { onSignedIn, staff, title }) },
        "Forgot password?")),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(form, async () => {
      const result = await signIn(username.value.trim(), password.value, { staff });
      await finish(main, result, { onSignedIn, staff, title });
    });
  });
  render(main,
    h("h1", {}, title),
    h("p", { class: "lead" }, staff
      ? "Staff of the certification body only."
      : "Record continuing education, follow your progress, and pay your renewal fees."),
    form);
}

async function finish(main, result, options) {
  if (result.tokens) {
    session.start(result.tokens, { staff: options.staff });
    await options.onSignedIn();
  } else if (result.challenge === "NEW_PASSWORD_REQUIRED") {
    showNewPassword(main, result, options);
  } else if (result.challenge === "SOFTWARE_TOKEN_MFA") {
    showMfa(main, result, options);
  } else if (result.challenge === "MFA_SETUP") {
    showMfaSetup(main, await startMfaSetup(result), options);
  } else {
    throw new Error("This sign-in needs a step the portal does not offer. Contact the program office.");
  }
}

function showNewPassword(main, challenge, options) {
  const first = h("input", { type: "password", autocomplete: "new-password", required: true, name: "new_password" });
  const again = h("input", { type: "password", autocomplete: "new-password", required: true, name: "confirm" });
  const form = h("form", { class: "card narrow", "aria-label": "Choose your password", novalidate: true },
    field("New password", first, PASSWORD_HINT),
    field("New password again", again),
    h("button", { type: "submit" }, "Save password and sign in"));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(form, async () => {
      if (first.value !== again.value) throw new Error("The two passwords are not the same.");
      await finish(main, await setNewPassword(challenge, first.value, { staff: options.staff }), options);
    });
  });
  render(main, h("h1", {}, "Choose your password"),
    h("p", { class: "lead" }, "Welcome. This is your first sign-in: replace the temporary password from your invitation."),
    form);
}

function showMfa(main, challenge, options) {
  const code = h("input", { inputmode: "numeric", autocomplete: "one-time-code", required: true, name: "code" });
  const form = h("form", { class: "card narrow", "aria-label": "Authenticator code", novalidate: true },
    field("Code from your authenticator app", code),
    h("button", { type: "submit" }, "Sign in"));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(form, async () => {
      await finish(main, await answerMfa(challenge, code.value.trim(), { staff: options.staff }), options);
    });
  });
  render(main, h("h1", {}, "Second step"), form);
}

function showMfaSetup(main, setup, options) {
  const code = h("input", { inputmode: "numeric", autocomplete: "one-time-code", required: true, name: "code" });
  const form = h("form", { class: "card narrow", "aria-label": "Set up your authenticator", novalidate: true },
    h("p", {}, "Add an account in your authenticator app with this key (type it in; it is shown only now):"),
    h("p", {}, h("code", { class: "secret" }, setup.secret.replace(/(.{4})/g, "$1 ").trim())),
    field("Code the app shows", code),
    h("button", { type: "submit" }, "Finish and sign in"));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(form, async () => {
      await finish(main, await finishMfaSetup(setup, code.value.trim(), { staff: options.staff }), options);
    });
  });
  render(main, h("h1", {}, "Second factor"), form);
}

function showForgot(main, options) {
  const username = h("input", { name: "username", autocomplete: "username", required: true, spellcheck: "false" });
  const form = h("form", { class: "card narrow", "aria-label": "Reset your password", novalidate: true },
    field(options.staff ? "Username or email" : "Member ID or email", username),
    h("div", { class: "actions" },
      h("button", { type: "submit" }, "Email me a code"),
      h("button", { type: "button", class: "secondary", onclick: () => showSignIn(main, options) }, "Back to sign in")));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(form, async () => {
      await forgotPassword(username.value.trim(), { staff: options.staff });
      showResetCode(main, username.value.trim(), options);
    });
  });
  render(main, h("h1", {}, "Reset your password"),
    h("p", { class: "lead" }, "We will email a code to the address we have for you."), form);
}

function showResetCode(main, username, options) {
  const code = h("input", { name: "code", inputmode: "numeric", autocomplete: "one-time-code", required: true });
  const password = h("input", { name: "new_password", type: "password", autocomplete: "new-password", required: true });
  const form = h("form", { class: "card narrow", "aria-label": "Set a new password", novalidate: true },
    field("Code from the email", code),
    field("New password", password, PASSWORD_HINT),
    h("button", { type: "submit" }, "Set new password"));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(form, async () => {
      await confirmForgotPassword(username, code.value.trim(), password.value, { staff: options.staff });
      showSignIn(main, options);
      main.querySelector("form").before(noticeBox("Your password is changed. Sign in with it now."));
    });
  });
  render(main, h("h1", {}, "Enter the code"),
    h("p", { class: "lead" }, "If the member ID or email is ours, a code is on its way. It is valid for one hour."),
    form);
}
