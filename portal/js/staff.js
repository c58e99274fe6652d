// The staff console (/portal/staff/): staff sign in to their own user pool (a second factor in AWS),
// then one page per hash route.
import { ApiError, whenSignedOut } from "./api.js";
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

const PAGES = {
  "": { title: "Find a member", show: showFind },
  member: { title: "Member record", show: showMember },
  applications: { title: "Applications", show: showApplications },
  audits: { title: "Audits", show: showAudits },
  notices: { title: "Parked notices", show: showNotices },
  payments: { title: "Parked payments", show: showPayments },
  dashboard: { title: "At a glance", show: showDashboard },
};

const main = document.getElementById("main");
const nav = document.getElementById("nav");

function route() {
  const [path, query = ""] = location.hash.replace(/^#\/?/, "").split("?");
  const [name, ...rest] = path.split("/");
  return { name: name in PAGES ? name : "", arg: decodeURIComponent(rest.join("/")), params: new URLSearchParams(query) };
}

async function show() {
  const current = session.current();
  if (!current || !current.staff) {
    nav.hidden = true;
    document.title = "Sign in – CCP staff console";
    showSignIn(main, { onSignedIn: show, staff: true, title: "Sign in to the staff console" });
    return;
  }
  if (!current.groups.includes("staff")) {
    nav.hidden = true;
    render(main, h("h1", {}, "Not a staff account"),
      alertBox("This login is not in the staff group. Ask the program office to add it."),
      h("button", { type: "button", onclick: async () => { await session.signOut(); show(); } }, "Sign out"));
    return;
  }
  nav.hidden = false;
  const { name, arg, params } = route();
  const page = PAGES[name];
  document.title = `${page.title} – CCP staff console`;
  for (const link of nav.querySelectorAll("a")) {
    const target = link.getAttribute("href").replace(/^#\/?/, "");
    if (target === name || (name === "member" && target === "")) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  try {
    await page.show(main, { arg, params, reload: show });
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
