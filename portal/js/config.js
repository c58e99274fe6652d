// @ts-check
// Where the API and Cognito are: config.json beside the pages (the local stack serves it; in AWS
// `make deploy` writes it into the portal bucket).
let loaded;

export function config() {
  loaded ??= fetch(new URL("config.json", document.baseURI.replace(/staff\/.*$/, "")), { cache: "no-store" })
    .then((response) => {
      if (!response.ok) throw new Error("The portal's configuration could not be loaded.");
      return response.json();
    });
  return loaded;
}
