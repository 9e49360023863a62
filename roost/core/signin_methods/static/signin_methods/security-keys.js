// Security keys (WebAuthn): registering one and signing in with one.
//
// A form marked data-webauthn="register" or data-webauthn="signin" is not sent as is:
// on submit this script asks Roost for the ceremony's options (data-options-url), lets the
// browser talk to the key, puts the key's answer as JSON into the form's hidden
// "credential" field and then sends the form. Roost checks the answer on the server.
"use strict";

(function () {
  function fromBase64url(text) {
    const base64 = text.replace(/-/g, "+").replace(/_/g, "/");
    const padded = base64 + "===".slice((base64.length + 3) % 4);
    const binary = atob(padded);
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i += 1) bytes[i] = binary.charCodeAt(i);
    return bytes.buffer;
  }

  function toBase64url(buffer) {
    const bytes = new Uint8Array(buffer);
    let binary = "";
    for (let i = 0; i < bytes.length; i += 1) binary += String.fromCharCode(bytes[i]);
    return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function descriptors(list) {
    return (list || []).map(function (item) {
      return Object.assign({}, item, { id: fromBase64url(item.id) });
    });
  }

  function creationOptions(options) {
    return Object.assign({}, options, {
      challenge: fromBase64url(options.challenge),
      user: Object.assign({}, options.user, { id: fromBase64url(options.user.id) }),
      excludeCredentials: descriptors(options.excludeCredentials),
    });
  }

  function requestOptions(options) {
    return Object.assign({}, options, {
      challenge: fromBase64url(options.challenge),
      allowCredentials: descriptors(options.allowCredentials),
    });
  }

  function registrationJSON(credential) {
    const response = credential.response;
    return {
      id: credential.id,
      rawId: toBase64url(credential.rawId),
      type: credential.type,
      response: {
        clientDataJSON: toBase64url(response.clientDataJSON),
        attestationObject: toBase64url(response.attestationObject),
        transports: response.getTransports ? response.getTransports() : [],
      },
      clientExtensionResults: credential.getClientExtensionResults(),
      authenticatorAttachment: credential.authenticatorAttachment || undefined,
    };
  }

  function assertionJSON(credential) {
    const response = credential.response;
    return {
      id: credential.id,
      rawId: toBase64url(credential.rawId),
      type: credential.type,
      response: {
        clientDataJSON: toBase64url(response.clientDataJSON),
        authenticatorData: toBase64url(response.authenticatorData),
        signature: toBase64url(response.signature),
        userHandle: response.userHandle ? toBase64url(response.userHandle) : undefined,
      },
      clientExtensionResults: credential.getClientExtensionResults(),
    };
  }

  function showStatus(form, text) {
    const status = form.querySelector("[data-webauthn-status]");
    if (status) status.textContent = text;
  }

  async function ceremony(form) {
    const kind = form.dataset.webauthn;
    const token = form.querySelector("input[name=csrfmiddlewaretoken]").value;
    const answer = await fetch(form.dataset.optionsUrl, {
      method: "POST",
      headers: { "X-CSRFToken": token, Accept: "application/json" },
      credentials: "same-origin",
    });
    const body = await answer.json();
    if (!answer.ok) throw new Error(body.detail || "Roost refused to start.");
    let credential;
    if (kind === "register") {
      credential = await navigator.credentials.create({ publicKey: creationOptions(body) });
      return registrationJSON(credential);
    }
    credential = await navigator.credentials.get({ publicKey: requestOptions(body) });
    return assertionJSON(credential);
  }

  function bind(form) {
    form.addEventListener("submit", function (event) {
      const field = form.querySelector("input[name=credential]");
      if (field.value) return; // the key has answered: send it
      event.preventDefault();
      if (!window.PublicKeyCredential) {
        showStatus(form, "This browser cannot use security keys.");
        return;
      }
      showStatus(form, "Touch your security key now.");
      ceremony(form)
        .then(function (result) {
          field.value = JSON.stringify(result);
          form.submit();
        })
        .catch(function (error) {
          showStatus(form, "The security key did not answer: " + error.message);
        });
    });
  }

  document.querySelectorAll("form[data-webauthn]").forEach(bind);
})();
