// The policy form: a row offers only the comparisons its field allows and a year only for
// yearly fields; the benefit shows the inputs of the chosen template. Without this script the
// server checks the same and says where.
(function () {
  function fitRow(select) {
    var row = select.closest(".cond-row, .input-group");
    if (!row) return;
    var option = select.selectedOptions[0];
    var op = row.querySelector("[data-row-op]");
    if (op && option && option.dataset.ops) {
      var allowed = option.dataset.ops.split(" ");
      Array.prototype.forEach.call(op.options, function (o) { o.hidden = allowed.indexOf(o.value) < 0; });
      if (allowed.indexOf(op.value) < 0) op.value = allowed[0];
    }
    // A year for a yearly field, and for "the year it was granted is / is no later than".
    var year = row.querySelector("[data-row-year-col]") || row.querySelector("[data-row-year]");
    var byYear = op && (op.value === "year_is" || op.value === "year_by");
    if (year) year.hidden = !(option && option.dataset.yearly) && !byYear;
    var value = row.querySelector("[data-row-value-col]");
    var noValue = op && ["has", "has_not", "yes", "no", "year_is", "year_by"].indexOf(op.value) >= 0;
    if (value) value.hidden = !!noValue;
  }
  function showTemplate(select) {
    document.querySelectorAll("[data-template]").forEach(function (part) {
      part.hidden = part.dataset.template.split(" ").indexOf(select.value) < 0;
    });
  }
  function setUp(root) {
    root.querySelectorAll("[data-row-field]").forEach(fitRow);
    var choice = root.querySelector("[data-template-choice]");
    if (choice) showTemplate(choice);
  }
  // A field changed since the page said what was wrong with it: the mark goes; saving checks
  // again.
  function clearMark(event) {
    var el = event.target;
    if (!el.classList || !el.classList.contains("is-invalid")) return;
    el.classList.remove("is-invalid");
    var said = document.getElementById("error-" + el.name);
    if (said) said.remove();
    var failed = document.getElementById("form-failed");
    if (failed && !document.querySelector("#policy-form .is-invalid")) failed.remove();
  }
  document.addEventListener("input", clearMark);
  document.addEventListener("change", clearMark);
  document.addEventListener("change", function (event) {
    if (event.target.matches("[data-row-field]")) fitRow(event.target);
    if (event.target.matches("[data-row-op]")) {
      var field = event.target.closest(".cond-row").querySelector("[data-row-field]");
      if (field) fitRow(field);
    }
    if (event.target.matches("[data-template-choice]")) showTemplate(event.target);
  });
  setUp(document);
})();
