// @ts-check
// The staff console (/portal/staff/): staff sign in to their own user pool (a second factor in AWS),
// then one page per hash route.
import { startApp } from "./app.js";
import * as session from "./session.js";
import { alertBox, h, render } from "./ui.js";
import { showSignIn } from "./pages/signin.js";
import { showFind } from "./staff/find.js";
import { showMember } from "./staff/member.js";
import { showApplications } from "./staff/applications.js";
import { showAudits } from "./staff/audits.js";
import { showNotices } from "./staff/notices.js";
import { showPayments } from "./staff/payments.js";
import { showDashboard } from "./staff/dashboard.js";
import { showImports } from "./staff/imports.js";

function signIn(main, show, current) {
  if (current?.staff) {
    // Signed in to the staff pool, but not in its staff group.
    render(main, h("h1", {}, "Not a staff account"),
      alertBox("This login is not in the staff group. Ask the program office to add it."),
      h("button", { type: "button", onclick: async () => { await session.signOut(); show(); } }, "Sign out"));
    return;
  }
  showSignIn(main, { onSignedIn: show, staff: true, title: "Sign in to the staff console" });
}

startApp({
  appName: "CCP staff console",
  pages: {
    "": { title: "Find a member", show: showFind },
    member: { title: "Member record", show: showMember },
    applications: { title: "Applications", show: showApplications },
    audits: { title: "Audits", show: showAudits },
    notices: { title: "Parked notices", show: showNotices },
    payments: { title: "Parked payments", show: showPayments },
    dashboard: { title: "At a glance", show: showDashboard },
    imports: { title: "Import members", show: showImports },
  },
  signedIn: (current) => Boolean(current.staff && current.groups.includes("staff")),
  signIn,
  context: async () => ({}),
  current: (name) => (name === "member" ? "" : name), // a record is found from "Find a member"
});
