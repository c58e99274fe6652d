// @ts-check
// The shell both apps share (the member portal and the staff console): hash routes to page
// modules, the navigation's current page, sign-in when there is no session, sign-out.
import { ApiError, whenSignedOut } from "./api.js";
import * as session from "./session.js";
import { alertBox, h, render } from "./ui.js";

/**
 * pages: {route name: {title, show(main, context)}}; signedIn(session) says whether this app may
 * use the session; signIn(main, show, session) shows the sign-in; context(session, route) makes what
 * every page gets (it may read from the API); current(route name) names the navigation link to mark.
 */
export function startApp({ appName, pages, signedIn, signIn, context, current = (name) => name }) {
  const main = document.getElementById("main");
  const nav = document.getElementById("nav");

  function route() {
    const [path, query = ""] = location.hash.replace(/^#\/?/, "").split("?");
    const [name, ...rest] = path.split("/");
    return { name: name in pages ? name : "", arg: decodeURIComponent(rest.join("/")), params: new URLSearchParams(query) };
  }

  let shown = 0;

  /** @param {unknown} [again] the view a page reloads itself into (anything else: a new navigation) */
  async function show(again) {
    // Each navigation renders into a view of its own: a slow page whose answers come after the member
    // moved on renders into a view no longer on the page, never over the page they went to.
    const view = again instanceof HTMLElement && again.isConnected ? again : h("div", { class: "view" });
    if (view !== again) main.replaceChildren(view);
    const mine = ++shown;
    const now = session.current();
    if (!now || !signedIn(now)) {
      nav.hidden = true;
      document.title = `Sign in – ${appName}`;
      signIn(view, show, now);
      return;
    }
    nav.hidden = false;
    const found = route();
    const page = pages[found.name];
    document.title = `${page.title} – ${appName}`;
    const highlighted = current(found.name);
    for (const link of nav.querySelectorAll("a")) {
      if (link.getAttribute("href").replace(/^#\/?/, "") === highlighted) link.setAttribute("aria-current", "page");
      else link.removeAttribute("aria-current");
    }
    try {
      await page.show(view, { ...(await context(now, found)), ...found, reload: () => show(view) });
    } catch (error) {
      if ((error instanceof ApiError && error.status === 401) || mine !== shown) return;
      render(view, h("h1", {}, page.title), alertBox(error.message));
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
}
