// @ts-check
// The member portal: sign-in, then one page per hash route (#/, #/activities, #/invoices, ...).
import { startApp } from "./app.js";
import { get } from "./api.js";
import { showSignIn } from "./pages/signin.js";
import { showStatus } from "./pages/status.js";
import { showActivities } from "./pages/activities.js";
import { showInvoices } from "./pages/invoices.js";
import { showContact } from "./pages/contact.js";
import { showRecertification } from "./pages/recertification.js";
import { showAudits } from "./pages/audits.js";

startApp({
  appName: "Certification Continuation Program",
  pages: {
    "": { title: "Status", show: showStatus },
    activities: { title: "CE activities", show: showActivities },
    invoices: { title: "Invoices", show: showInvoices },
    contact: { title: "Contact details", show: showContact },
    recertification: { title: "Recertification", show: showRecertification },
    audits: { title: "Audits", show: showAudits },
  },
  signedIn: (session) => Boolean(session.memberId),
  signIn: (main, show) => showSignIn(main, { onSignedIn: show }),
  // Every page shows the member's name: their profile is read once per page.
  context: async (session) => ({
    memberId: session.memberId,
    member: await get(`/members/${encodeURIComponent(session.memberId)}`),
  }),
});
