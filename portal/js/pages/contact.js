// @ts-check
// Contact details: email (a new address is confirmed with the code sent to it), mailing address,
// and whether notices come by post.
import { patch, post } from "../api.js";
import { busy, checkbox, field, h, noticeBox, render, statusBadge } from "../ui.js";

const EMAIL_STATUS = {
  ok: "Confirmed",
  unconfirmed: "Waiting for the code we sent",
  bounced: "Undeliverable",
  complained: "Marked as spam",
};

export function showContact(main, context) {
  const { member, memberId } = context;
  const base = `/members/${encodeURIComponent(memberId)}`;
  const address = member.mailing_address || {};
  const inputs = {
    email: h("input", { name: "email", type: "email", autocomplete: "email", value: member.email, required: true }),
    line1: h("input", { name: "line1", autocomplete: "address-line1", value: address.line1 || "" }),
    line2: h("input", { name: "line2", autocomplete: "address-line2", value: address.line2 || "" }),
    city: h("input", { name: "city", autocomplete: "address-level2", value: address.city || "" }),
    state: h("input", { name: "state", autocomplete: "address-level1", value: address.state || "" }),
    postal_code: h("input", { name: "postal_code", autocomplete: "postal-code", value: address.postal_code || "" }),
    country: h("input", { name: "country", autocomplete: "country", value: address.country || "US", maxlength: 2 }),
  };
  const optOut = checkbox("Email only: send me no letters", { name: "mail_opt_out", checked: member.mail_opt_out });
  const result = h("div", { "aria-live": "polite" });
  const form = h("form", { class: "card", "aria-label": "Contact details", novalidate: true },
    h("h3", {}, "Your details"),
    field("Email", inputs.email, "A new address is used once you enter the code we send to it."),
    h("fieldset", {}, h("legend", {}, "Mailing address"),
      h("div", { class: "fields" },
        field("Address line 1", inputs.line1), field("Address line 2", inputs.line2),
        field("City", inputs.city), field("State", inputs.state),
        field("Postal code", inputs.postal_code), field("Country (2 letters)", inputs.country))),
    optOut,
    h("button", { type: "submit" }, "Save contact details"));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(form, async () => {
      const body = { mail_opt_out: optOut.querySelector("input").checked };
      if (inputs.email.value.trim() !== member.email) body.email = inputs.email.value.trim();
      if (inputs.line1.value.trim()) {
        body.mailing_address = {
          line1: inputs.line1.value.trim(),
          line2: inputs.line2.value.trim() || null,
          city: inputs.city.value.trim(),
          state: inputs.state.value.trim(),
          postal_code: inputs.postal_code.value.trim(),
          country: inputs.country.value.trim().toUpperCase(),
        };
      }
      const saved = await patch(base, body);
      await context.reload();
      main.querySelector("#contact-result")?.replaceChildren(noticeBox(saved.email_status === "unconfirmed"
        ? `Saved. We sent a code to ${saved.email}: enter it below to start using that address.`
        : "Saved."));
    }, { ...inputs, mailing_address: inputs.line1 });
  });
  render(main,
    h("h1", {}, member.name),
    h("h2", {}, "Contact details"),
    h("p", {}, "Email: ", h("strong", {}, member.email), " ", statusBadge(member.email_status, EMAIL_STATUS[member.email_status])),
    Object.assign(result, { id: "contact-result" }),
    member.email_status === "unconfirmed" ? confirmForm(base, context) : null,
    form,
  );
}

function confirmForm(base, context) {
  const code = h("input", { name: "code", inputmode: "numeric", autocomplete: "one-time-code", maxlength: 6, required: true });
  const form = h("form", { class: "card narrow", "aria-label": "Confirm your email", novalidate: true },
    h("h3", {}, "Confirm your email"),
    field("Code from the email", code, "Six digits, valid for 24 hours."),
    h("button", { type: "submit" }, "Confirm email"));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(form, async () => {
      await post(`${base}/email-confirmation`, { code: code.value.trim() });
      await context.reload();
      document.querySelector("#contact-result")?.replaceChildren(noticeBox("Your email address is confirmed."));
    }, { code });
  });
  return form;
}
