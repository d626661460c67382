// The sign-in form: posts the name, password and this page's token; shows the server's refusal next to the field.
'use strict';
(function () {
  const form = document.getElementById('sign-in');
  const token = document.querySelector('meta[name="login-token"]').content;
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    for (const e of form.querySelectorAll('.field-error, .form-error')) e.textContent = '';
    const button = form.querySelector('button');
    button.disabled = true;
    try {
      const res = await fetch('/console/sign-in', {
        method: 'POST', credentials: 'same-origin', headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ name: form.name.value, password: form.password.value, loginToken: token }),
      });
      // Back to the page asked for before the redirect (the fragment survives it).
      if (res.ok) { location.replace('/' + location.hash); return; }
      let problem = {};
      try { problem = await res.json(); } catch (_) { /* not JSON: the status says enough */ }
      const errors = problem.errors || {};
      let shown = false;
      for (const [field, messages] of Object.entries(errors)) {
        const slot = document.getElementById(field + '-error');
        if (slot) { slot.textContent = messages.join('; '); shown = true; }
      }
      if (!shown) document.getElementById('form-error').textContent = problem.detail || ('sign-in failed (' + res.status + ')');
      form.password.select();
    } catch (e) {
      document.getElementById('form-error').textContent = 'the server did not answer: ' + e.message;
    } finally {
      button.disabled = false;
    }
  });
})();
