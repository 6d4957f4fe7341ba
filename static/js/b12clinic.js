// Small behaviours without inline script (the CSP forbids it): print buttons.
document.addEventListener("click", function (event) {
  var button = event.target.closest("[data-print]");
  if (button) {
    event.preventDefault();
    window.print();
  }
});

// The prescribe page echoes the dose as it will be read ("= 1,000 micrograms = 1 mL of
// 1 mg/mL") while it is typed, from the same parser that saves it.
(function () {
  var echo = document.getElementById("dose-echo");
  var dose = document.getElementById("id_dose");
  var product = document.getElementById("id_product");
  if (!echo || !dose) {
    return;
  }
  var timer = null;
  var asked = 0;
  function ask() {
    var number = ++asked;
    var query = new URLSearchParams({ dose: dose.value, product: product ? product.value : "" });
    fetch(echo.dataset.doseUrl + "?" + query.toString(), { credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (answer) {
        if (!answer || number !== asked) {
          return;
        }
        echo.textContent = answer.text;
        echo.classList.toggle("text-danger", !answer.ok);
      })
      .catch(function () {});
  }
  function later() {
    clearTimeout(timer);
    timer = setTimeout(ask, 250);
  }
  dose.addEventListener("input", later);
  dose.addEventListener("change", later);
  if (product) {
    product.addEventListener("change", later);
  }
  // Typed (or restored by the browser) before this script ran: echo it now. A value the
  // page was rendered with has its answer already (an unclear one is asked on the field).
  if (dose.value !== (echo.dataset.renderedDose || "")) {
    ask();
  }
})();

// Copy buttons: data-copy names the field whose text goes to the clipboard; the button says
// when it is done (and the field is selected, for a browser without clipboard access).
document.addEventListener("click", function (event) {
  var button = event.target.closest("[data-copy]");
  if (!button) {
    return;
  }
  var field = document.getElementById(button.dataset.copy);
  if (!field) {
    return;
  }
  field.select();
  var done = function () {
    button.textContent = "Copied";
  };
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(field.value).then(done, function () {});
  } else if (document.execCommand && document.execCommand("copy")) {
    done();
  }
});

// The give form: the typed batch and expiry only when "Another batch" is picked from stock.
(function () {
  var other = document.querySelector("[data-other-batch]");
  if (!other) {
    return;
  }
  var choices = document.querySelectorAll("input[name='stock_batch']");
  function show() {
    var picked = document.querySelector("input[name='stock_batch']:checked");
    var typed = other.querySelector("input[name='batch']");
    other.hidden = !(picked && picked.value === "other") && !(typed && typed.value);
  }
  choices.forEach(function (choice) {
    choice.addEventListener("change", show);
  });
  show();
})();
