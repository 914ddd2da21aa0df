//! The style sheet and scripts inlined into the HTML report (no network, no external file).
//!
//! The scripts only filter and fold what the page already shows; they never build markup from
//! event data. The first script records any script error or Content-Security-Policy violation
//! into the page (`#js-errors`, `body[data-errors]`); the last one sets `body[data-ok="1"]` when
//! everything ran, which the browser test checks.

/// The style sheet.
pub const CSS: &str = r#"
:root { --fg:#1d2330; --muted:#5f6b7a; --line:#dde2ea; --bg:#f6f7f9; --card:#fff; --accent:#234e8c; }
* { box-sizing: border-box; }
body { margin:0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color:var(--fg); background:var(--bg); }
header { background:#1f2a3c; color:#fff; padding:18px 28px; }
header h1 { margin:0 0 4px; font-size:22px; }
header .sub { color:#c9d3e3; font-size:13px; }
nav { position:sticky; top:0; z-index:5; background:#fff; border-bottom:1px solid var(--line); padding:6px 28px; }
nav a { margin-right:16px; color:var(--accent); text-decoration:none; font-weight:600; }
main { padding:8px 28px 40px; max-width:1500px; }
section { margin-top:22px; }
h2 { font-size:18px; border-bottom:2px solid var(--line); padding-bottom:4px; }
h3 { font-size:15px; margin:14px 0 6px; }
.cards { display:flex; flex-wrap:wrap; gap:10px; }
.card { background:var(--card); border:1px solid var(--line); border-radius:6px; padding:10px 14px; min-width:150px; }
.card .n { font-size:22px; font-weight:700; }
.card .k { color:var(--muted); font-size:12px; text-transform:uppercase; letter-spacing:.04em; }
table { border-collapse:collapse; background:var(--card); width:100%; margin:6px 0 10px; }
th, td { border:1px solid var(--line); padding:4px 7px; text-align:left; vertical-align:top; }
th { background:#eef1f5; font-size:12px; }
td.num, th.num { text-align:right; font-variant-numeric: tabular-nums; }
.lvl { display:inline-block; min-width:76px; text-align:center; border-radius:4px; color:#fff; font-size:12px; font-weight:700; padding:1px 6px; }
.lvl-critical { background:#8e24aa; } .lvl-high { background:#e53935; } .lvl-medium { background:#fb8c00; }
.lvl-low { background:#1e88e5; } .lvl-informational { background:#78909c; }
.bar { background:#dfe5ee; border-radius:3px; height:14px; min-width:260px; }
.bar > span { display:block; height:14px; border-radius:3px; background:var(--accent); }
.chart { width:100%; max-width:1100px; height:auto; background:var(--card); border:1px solid var(--line); border-radius:6px; }
.chart .axis { font-size:11px; fill:var(--muted); } .chart .lane { font-size:11px; fill:var(--fg); }
details { background:var(--card); border:1px solid var(--line); border-radius:6px; margin:6px 0; }
details > summary { cursor:pointer; padding:7px 10px; list-style-position: inside; }
details > .body { padding:4px 12px 10px; overflow-x:auto; }
.meta { color:var(--muted); font-size:12px; }
.kv { margin:0; font-size:12.5px; }
.kv div { white-space:pre-wrap; word-break:break-all; }
.kv b { color:var(--muted); font-weight:600; }
code, pre, .mono { font-family: ui-monospace, "Cascadia Mono", Consolas, monospace; font-size:12.5px; }
pre.script { background:#0f1724; color:#e6edf6; padding:10px; border-radius:6px; max-height:640px; overflow:auto; white-space:pre-wrap; word-break:break-all; }
ul.tree, ul.tree ul { list-style:none; margin:0; padding-left:18px; border-left:1px dashed #b7c0cc; }
ul.tree { padding-left:4px; border-left:none; }
ul.tree li { margin:4px 0; }
.node { padding:3px 6px; border-radius:4px; }
.node.fired { background:#fff1f0; border:1px solid #f5b7b1; }
.node.missing { color:var(--muted); font-style:italic; }
.node .img { font-weight:700; }
.node .cmd { white-space:pre-wrap; word-break:break-all; font-family: ui-monospace, Consolas, monospace; font-size:12px; color:#34404f; }
.note { background:#fff8e1; border:1px solid #ffe082; padding:6px 10px; border-radius:6px; }
.warn { color:#b71c1c; font-weight:600; }
.tools { margin:8px 0; display:flex; flex-wrap:wrap; gap:12px; align-items:center; }
.tools input[type=search] { padding:5px 8px; width:320px; border:1px solid var(--line); border-radius:4px; }
#js-errors { color:#b71c1c; }
.hidden { display:none !important; }
footer { color:var(--muted); font-size:12px; padding:20px 28px; }
"#;

/// The first script (in `<head>`): records errors and CSP violations into the page.
pub const ERROR_TRAP_JS: &str = r#"
(function () {
  var errors = [];
  function record(text) {
    errors.push(String(text));
    var show = function () {
      document.body.dataset.errors = String(errors.length);
      var box = document.getElementById("js-errors");
      if (box) { box.hidden = false; box.textContent = errors.join("\n"); }
    };
    if (document.body) { show(); } else { document.addEventListener("DOMContentLoaded", show); }
  }
  window.addEventListener("error", function (e) { record("script error: " + (e.message || e.type)); });
  window.addEventListener("securitypolicyviolation", function (e) {
    record("blocked by the content security policy: " + e.violatedDirective + " " + e.blockedURI);
  });
})();
"#;

/// The last script: filtering and folding, then `data-ok`.
pub const MAIN_JS: &str = r#"
(function () {
  var filter = document.getElementById("filter");
  var rules = Array.prototype.slice.call(document.querySelectorAll("details.rule"));
  var levelBoxes = Array.prototype.slice.call(document.querySelectorAll("input[data-level]"));
  function apply() {
    var q = filter ? filter.value.trim().toLowerCase() : "";
    var levels = {};
    levelBoxes.forEach(function (b) { levels[b.dataset.level] = b.checked; });
    var shown = 0;
    rules.forEach(function (r) {
      var levelOn = levels[r.dataset.level] !== false;
      var rows = Array.prototype.slice.call(r.querySelectorAll("tr.ev"));
      var titleHit = q === "" || (r.dataset.title || "").toLowerCase().indexOf(q) >= 0;
      var any = false;
      rows.forEach(function (tr) {
        var on = q === "" || titleHit || tr.textContent.toLowerCase().indexOf(q) >= 0;
        tr.classList.toggle("hidden", !on);
        any = any || on;
      });
      var visible = levelOn && (titleHit || any);
      r.classList.toggle("hidden", !visible);
      if (visible) { shown += 1; }
    });
    var count = document.getElementById("rules-shown");
    if (count) { count.textContent = String(shown); }
  }
  if (filter) { filter.addEventListener("input", apply); }
  levelBoxes.forEach(function (b) { b.addEventListener("change", apply); });
  function fold(open) {
    document.querySelectorAll("details").forEach(function (d) { d.open = open; });
  }
  var ex = document.getElementById("expand-all");
  var co = document.getElementById("collapse-all");
  if (ex) { ex.addEventListener("click", function () { fold(true); }); }
  if (co) { co.addEventListener("click", function () { fold(false); }); }
  apply();
  document.body.dataset.ok = "1";
})();
"#;
