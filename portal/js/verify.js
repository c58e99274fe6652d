// @ts-check
// Public verification for employers: GET /verify/{member_id}, no sign-in.
import { ApiError, get } from "./api.js";
import { alertBox, day, h, statusBadge, table } from "./ui.js";

const form = document.getElementById("verify-form");
const input = /** @type {HTMLInputElement} */ (document.getElementById("verify-id"));
const result = document.getElementById("verify-result");

const WORDS = { active: "Active", inactive: "Inactive", lapsed: "Lapsed" };

async function verify(memberId) {
  result.replaceChildren(h("p", {}, "Checking…"));
  try {
    const answer = await get(`/verify/${encodeURIComponent(memberId)}`, { auth: false });
    result.replaceChildren(h("section", { class: "card", "aria-label": "Verification result" },
      h("h2", {}, answer.name),
      table(`Credentials of member ${memberId}`, ["Credential", "Status", "Certified", "Valid through"],
        answer.credentials.map((c) => [
          `${c.code}: ${c.name}`,
          statusBadge(c.status, WORDS[c.status]),
          day(c.certified_on),
          c.valid_through ? day(c.valid_through) : "—",
        ])),
      h("p", { class: "hint" }, "As of today. Only the name and credential standing are shown.")));
  } catch (error) {
    const message = error instanceof ApiError && error.status === 404
      ? `No member has the ID ${memberId}. Check it against the certificate.`
      : error.message;
    result.replaceChildren(alertBox(message));
  }
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  const memberId = input.value.trim();
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(memberId)) {
    result.replaceChildren(alertBox("Enter a member ID: letters and digits, as printed on the certificate."));
    input.setAttribute("aria-invalid", "true");
    return;
  }
  input.removeAttribute("aria-invalid");
  history.replaceState(null, "", `?id=${encodeURIComponent(memberId)}`);
  verify(memberId);
});

const preset = new URLSearchParams(location.search).get("id");
if (preset) {
  input.value = preset;
  verify(preset);
}
