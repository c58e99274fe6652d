// The member portal: sign-in, then one page per hash route (#/, #/activities, #/invoices, ...).
import { ApiError, get, whenSignedOut } from "./api.js";
import * as session from "./session.js";
import { alertBox, h, render } from "./ui.js";
import { showSignIn } from "./pages/signin.js";
import { showStatus } from "./pages/status.js";
import { showActivities } from "./pages/activities.js";
import { showInvoices } from "./pages/invoices.js";
import { showContact } from "./pages/contact.js";
import { showRecertification } from "./pages/recertification.js";
import { showAudits } from "./pages/audits.js";

const PAGES = {
  "": { title: "Status", show: showStatus },
  activities: { title: "CE activities", show: showActivities },
  invoices: { title: "Invoices", show: showInvoices },
  contact: { title: "Contact details", show: showContact },
  recertification: { title: "Recertification", show: showRecertification },
  audits: { title: "Audits", show: showAudits },
};

const main = document.getElementById("main");
const nav = document.getElementById("nav");

function route() {
  const [path, query = ""] = location.hash.replace(/^#\/?/, "").split("?");
  return { name: path in PAGES ? path : "", params: new URLSearchParams(query) };
}

async function show() {
  const current = session.current();
  if (!current || !current.memberId) {
    nav.hidden = true;
    document.title = "Sign in – Certification Continuation Program";
    showSignIn(main, { onSignedIn: show });
    return;
  }
  nav.hidden = false;
  const { name, params } = route();
  const page = PAGES[name];
  document.title = `${page.title} – Certification Continuation Program`;
  for (const link of nav.querySelectorAll("a")) {
    const target = link.getAttribute("href").replace(/^#\/?/, "");
    if (target === name) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  try {
    const member = await get(`/members/${encodeURIComponent(current.memberId)}`);
    await page.show(main, { member, memberId: current.memberId, params, reload: show });
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return;
    render(main, h("h1", {}, page.title), alertBox(error.message));
  }
}

whenSignedOut(() => {
  session.end();
  show();
});

document.getElementById("sign-out").addEventListener("click", async () => {
  await session.signOut();
  location.hash = "#/";
  show();
});

window.addEventListener("hashchange", show);
show();
