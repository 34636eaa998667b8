// Progressive enhancement of the evidence upload form: the same multipart POST, sent with
// XMLHttpRequest so the page can show how much has gone. Without this script the form works
// as a plain form.
"use strict";
document.querySelectorAll("form[data-upload]").forEach(function (form) {
  form.addEventListener("submit", function (event) {
    var input = form.querySelector("input[type=file]");
    if (!input || !input.files || input.files.length === 0) { return; }
    event.preventDefault();
    var row = form.querySelector(".progress-row");
    var bar = form.querySelector("progress");
    var words = form.querySelector("#progress-words");
    row.hidden = false;
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    xhr.upload.addEventListener("progress", function (e) {
      if (!e.lengthComputable) { return; }
      var pct = Math.round((e.loaded / e.total) * 100);
      bar.value = pct;
      words.textContent = pct + "% sent";
    });
    xhr.addEventListener("load", function () {
      if (xhr.status >= 200 && xhr.status < 300) {
        window.location.assign(xhr.responseURL || form.action);
      } else {
        document.open();
        document.write(xhr.responseText);
        document.close();
      }
    });
    xhr.addEventListener("error", function () {
      words.textContent = "The upload broke off: try again.";
    });
    xhr.send(new FormData(form));
  });
});
