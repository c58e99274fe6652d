// @ts-check
// Find a member by member id, email or the start of a last name (the search index; never a Scan).
import { get } from "../api.js";
import { busy, field, h, render, table } from "../ui.js";

export function showFind(main, { params }) {
  const query = h("input", { name: "q", required: true, value: params.get("q") || "", spellcheck: "false" });
  const results = h("div", { "aria-live": "polite" });
  const form = h("form", { class: "card narrow", role: "search", "aria-label": "Find a member", novalidate: true },
    field("Member ID, email or last name", query, "At least two letters of a last name."),
    h("button", { type: "submit" }, "Search"));
  const search = () => busy(form, async () => {
    const found = await get(`/staff/members?q=${encodeURIComponent(query.value.trim())}`);
    history.replaceState(null, "", `#/?q=${encodeURIComponent(query.value.trim())}`);
    results.replaceChildren(found.members.length
      ? table(`${found.members.length} found`, ["Member", "Member ID", "Email"], found.members.map((m) => [
        h("a", { href: `#/member/${encodeURIComponent(m.member_id)}` }, `${m.first_name} ${m.last_name}`),
        m.member_id,
        m.email,
      ]))
      : h("p", {}, "Nobody found. Try the member ID, the whole email, or fewer letters of the last name."));
  }, { q: query });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    search();
  });
  render(main, h("h1", {}, "Find a member"), form, results);
  if (query.value) search();
}
