"""The inline style sheet and script of the HTML view (:mod:`sourcetag.view.render`): no network, no fonts."""

CSS = """
:root{--ink:#1a1a1a;--muted:#595959;--line:#c9c9c9;--bg:#fff;--panel:#f6f6f4}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%;print-color-adjust:exact;-webkit-print-color-adjust:exact}
body{margin:0;color:var(--ink);background:var(--bg);font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,
 "DejaVu Sans",sans-serif}
.wrap{max-width:62rem;margin:0 auto;padding:0 1rem}
a{color:#0b4f8a}
:focus-visible{outline:3px solid #000;outline-offset:2px}
.skip{position:absolute;left:-999px;top:0;background:#fff;padding:.4rem .6rem;z-index:5}
.skip:focus{left:.5rem}
header{padding:1.2rem 0 .6rem}
h1{font-size:1.45rem;margin:0 0 .3rem;overflow-wrap:anywhere}
.summary{color:var(--muted);margin:.1rem 0 .6rem}
.summary .bar{max-width:24rem}
.controls{position:sticky;top:0;z-index:3;background:var(--bg);border-bottom:1px solid var(--line);padding:.5rem 0}
.legend{display:flex;flex-wrap:wrap;gap:.35rem .5rem;margin:0;padding:0;border:0}
.legend legend{font-weight:600;padding:0;margin-bottom:.25rem}
.chip{display:inline-flex;align-items:center;gap:.4rem;border:1px solid var(--line);border-radius:.4rem;
 padding:.2rem .55rem;background:#fff;cursor:pointer;min-height:2.2rem}
.chip input{margin:0;width:1.05rem;height:1.05rem}
.chip .n{color:var(--muted);font-size:.85em}
.key{display:flex;flex-wrap:wrap;gap:.2rem 1.1rem;margin:.45rem 0 0;font-size:.88rem;color:var(--muted)}
.key .s{color:var(--ink)}
.btns{display:none;gap:.4rem;margin-left:auto}
.js .btns{display:inline-flex}
button{font:inherit;font-size:.85rem;padding:.15rem .6rem;border:1px solid #8a8a8a;border-radius:.3rem;background:#fff;
 cursor:pointer;min-height:2rem}
.nojs{font-size:.85rem;color:var(--muted)}
.js .nojs{display:none}
h2{font-size:1.15rem;margin:1.4rem 0 .5rem}
table.index{width:100%;border-collapse:collapse;font-size:.92rem}
.index th{text-align:left;font-weight:600;color:var(--muted);border-bottom:2px solid var(--line);padding:.3rem .4rem}
.index td{border-bottom:1px solid #e4e4e4;padding:.4rem .4rem;vertical-align:top}
.index td.num{color:var(--muted);text-align:right;width:2.5rem}
.index td.c{text-align:right;white-space:nowrap}
.index .hl{color:var(--muted);font-size:.86rem;overflow-wrap:anywhere}
.index a{font-weight:600;overflow-wrap:anywhere}
.index td.bar-cell{width:10rem}
.index td.art-cell{width:34%}
.bar{display:flex;width:100%;min-width:6rem;height:.95rem;border:1px solid #666;border-radius:2px;overflow:hidden;
 background:#fff;vertical-align:middle}
.bar i{display:block;height:100%}
.bar i+i{border-left:1px solid #fff}
.bar .o,.sw.o{background:#77AADD}
.bar .a,.sw.a{background:repeating-linear-gradient(135deg,#EEDD88 0 3px,#b9a23a 3px 4.5px)}
.bar .u,.sw.u{background:radial-gradient(#8f3a1c 28%,transparent 34%) 0 0/5px 5px,#EE8866}
.bar .f,.sw.f{background:#DDDDDD}
.sw{display:inline-block;width:1.05rem;height:1.05rem;border:1px solid #666;border-radius:2px;flex:none}
.srcname{font-style:italic}
.none,.more{color:var(--muted)}
details.art{border-top:1px solid var(--line);padding:.2rem 0 .6rem}
details.art>summary{cursor:pointer;list-style-position:outside;padding:.5rem 0;display:grid;
 grid-template-columns:minmax(0,1fr) 11rem;gap:.3rem 1rem;align-items:center}
details.art>summary h2{display:inline;margin:0;font-size:1.1rem;overflow-wrap:anywhere}
summary .meta{display:block;color:var(--muted);font-size:.88rem}
.text .srcs{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;font-size:.92rem;
 line-height:1.5;margin:.2rem 0 .8rem;color:var(--muted)}
.text .srcs .srcname{color:var(--ink)}
.text{max-width:46rem;font-family:Georgia,"DejaVu Serif",serif;font-size:1.06rem;line-height:1.95}
.text p{margin:0 0 .9rem}
.text p.headline{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;font-weight:700;
 font-size:1.22rem;line-height:1.7}
.s{padding:.12em .08em;border-radius:3px;-webkit-box-decoration-break:clone;box-decoration-break:clone;
 text-decoration-line:underline;text-decoration-thickness:2px;text-underline-offset:.28em;text-decoration-skip-ink:none;
 cursor:help}
.s.o{background:#c2d9f0;text-decoration-color:#1d5a94;text-decoration-style:solid}
.s.a{background:#f7efc6;text-decoration-color:#7d6400;text-decoration-style:dashed}
.s.u{background:#f8cdbe;text-decoration-color:#b03c14;text-decoration-style:wavy;text-decoration-thickness:1.5px}
.s.f{background:#eeeeee;text-decoration-color:#6e6e6e;text-decoration-style:dotted;color:#404040}
.s:hover,.s:focus{box-shadow:0 0 0 2px #1a1a1a}
.s .cue{font-weight:700;font-style:italic}
.s .src{font-weight:700}
.s.rv::after{content:"?";display:inline-block;margin-left:.22em;width:1.15em;height:1.15em;line-height:1.05em;
 text-align:center;font:700 .78em/1.15em system-ui,"DejaVu Sans",sans-serif;border:1.5px solid #1a1a1a;
 border-radius:50%;background:#fff;color:#1a1a1a;vertical-align:.12em;text-decoration:none}
.key .rvmark{display:inline-block;width:1.15em;height:1.15em;text-align:center;font-weight:700;font-size:.8em;
 line-height:1.05em;border:1.5px solid #1a1a1a;border-radius:50%}
.hide-o .text .s.o,.hide-a .text .s.a,.hide-u .text .s.u,.hide-f .text .s.f,.only-rv .text .s:not(.rv){display:none}
.back{font-size:.85rem;margin:.3rem 0 0}
#tip{position:absolute;z-index:10;max-width:19rem;background:#fff;color:var(--ink);border:1px solid #333;
 border-radius:.4rem;box-shadow:0 3px 12px rgba(0,0,0,.25);padding:.45rem .6rem;font-size:.84rem;line-height:1.35;
 pointer-events:none}
#tip[hidden]{display:none}
#tip .tt-h{font-weight:700;margin-bottom:.25rem}
#tip .tt-r{display:grid;grid-template-columns:1.05rem 1fr 3.3rem;gap:.4rem;align-items:center;margin:.12rem 0}
#tip .tt-r.top{font-weight:700}
#tip .tt-v{text-align:right;font-variant-numeric:tabular-nums}
#tip .tt-n{margin-top:.3rem;color:var(--muted)}
footer{color:var(--muted);font-size:.82rem;border-top:1px solid var(--line);margin-top:2rem;padding:.8rem 0 2rem}
@media (max-width:40rem){
 body{font-size:15px}
 .controls{position:static}
 .index thead{display:none}
 .index tr{display:grid;grid-template-columns:2rem minmax(0,1fr) auto;gap:.1rem .5rem;padding:.5rem 0;
  border-bottom:1px solid #e4e4e4}
 .index td{display:block;border:0;padding:0}
 .index td.num{grid-row:span 3;text-align:left}
 .index td.bar-cell{grid-column:2/4;width:auto}
 .index td.art-cell{width:auto}
 .index td.srcs-cell{grid-column:2/4}
 .index td.c{font-size:.85rem;color:var(--muted)}
 .index td.rv-cell{display:none}
 details.art>summary{grid-template-columns:1fr}
 .text{font-size:1rem}
}
@media print{
 .controls,.skip,.back,#tip{display:none}
 .s:hover,.s:focus{box-shadow:none}
}
"""

SCRIPT = """
(function () {
  'use strict';
  var doc = document, body = doc.body;
  doc.documentElement.classList.add('js');
  var meta = JSON.parse(doc.getElementById('st-meta').textContent);
  doc.querySelectorAll('input[data-filter]').forEach(function (box) {
    box.addEventListener('change', function () { body.classList.toggle('hide-' + box.dataset.filter, !box.checked); });
  });
  var onlyRv = doc.getElementById('only-rv');
  onlyRv.addEventListener('change', function () { body.classList.toggle('only-rv', onlyRv.checked); });

  function openTarget(hash) {
    if (!hash || hash.length < 2) return;
    var id;
    try { id = decodeURIComponent(hash.slice(1)); } catch (err) { return; }  // a hand-typed, malformed address
    var el = doc.getElementById(id);
    if (el && el.tagName === 'DETAILS') el.open = true;
  }
  window.addEventListener('hashchange', function () { openTarget(location.hash); });
  doc.addEventListener('click', function (e) {
    var a = e.target.closest && e.target.closest('a[href^="#"]');
    if (a) openTarget(a.getAttribute('href'));
  });
  openTarget(location.hash);
  var bodies = null;
  function fill(d) {  // text of a collapsed article, rendered (and escaped) by sourcetag, on first opening
    var t = d.querySelector('.text[data-body]');
    if (!t) return;
    if (bodies === null) bodies = JSON.parse(doc.getElementById('st-bodies').textContent);
    t.innerHTML = bodies[Number(t.getAttribute('data-body'))];
    t.removeAttribute('data-body');
  }
  doc.addEventListener('toggle', function (e) { if (e.target.open) fill(e.target); }, true);
  doc.querySelectorAll('details.art[open]').forEach(fill);
  function setAll(open) { doc.querySelectorAll('details.art').forEach(function (d) { d.open = open; }); }
  doc.getElementById('expand-all').addEventListener('click', function () { setAll(true); });
  doc.getElementById('collapse-all').addEventListener('click', function () { setAll(false); });
  window.addEventListener('beforeprint', function () { setAll(true); });

  var tip = doc.getElementById('tip'), current = null;
  function add(parent, tag, cls, text) {
    var el = doc.createElement(tag);
    if (cls) el.className = cls;
    if (text !== undefined) el.textContent = text;
    parent.appendChild(el);
    return el;
  }
  function show(s) {
    if (current === s) return;
    current = s;
    var p = s.getAttribute('data-p').split(' ').map(Number), top = 0;
    for (var i = 1; i < p.length; i++) if (p[i] > p[top]) top = i;
    var label = 0;
    for (var j = 0; j < meta.classes.length; j++) if (s.classList.contains(meta.classes[j])) label = j;
    tip.textContent = '';
    add(tip, 'div', 'tt-h', meta.names[label]);
    for (var k = 0; k < p.length; k++) {
      var row = add(tip, 'div', 'tt-r' + (k === label ? ' top' : ''));
      add(row, 'span', 'sw ' + meta.classes[k]);
      add(row, 'span', '', meta.names[k]);
      add(row, 'span', 'tt-v', (p[k] / 10).toFixed(1) + '%');
    }
    if (s.classList.contains('rv')) add(tip, 'div', 'tt-n', 'Needs review: the model is unsure (top probability below ' + meta.threshold_text + ').');
    var gold = s.getAttribute('data-g');
    if (gold !== null) add(tip, 'div', 'tt-n', 'Gold label: ' + gold);
    tip.hidden = false;
    s.setAttribute('aria-describedby', 'tip');
    // below the sentence's last line, or above its first when there is no room below: never over its text
    var rects = s.getClientRects(), box = s.getBoundingClientRect();
    var first = rects.length ? rects[0] : box, last = rects.length ? rects[rects.length - 1] : box;
    var w = tip.offsetWidth, h = tip.offsetHeight, vw = doc.documentElement.clientWidth;
    var left = Math.max(8, Math.min(last.left, vw - w - 8));
    var y = last.bottom + 8;
    if (y + h > window.innerHeight && first.top - h - 8 > 0) {
      y = first.top - h - 8;
      left = Math.max(8, Math.min(first.left, vw - w - 8));
    }
    tip.style.left = (left + window.scrollX) + 'px';
    tip.style.top = (y + window.scrollY) + 'px';
  }
  function hide() {
    if (current) current.removeAttribute('aria-describedby');
    current = null;
    tip.hidden = true;
  }
  function sentence(node) { return node && node.closest ? node.closest('.s[data-p]') : null; }
  doc.addEventListener('mouseover', function (e) { var s = sentence(e.target); if (s) show(s); });
  doc.addEventListener('mouseout', function (e) {
    var s = sentence(e.target);
    if (s && !s.contains(e.relatedTarget) && s !== doc.activeElement) hide();
  });
  doc.addEventListener('focusin', function (e) { var s = sentence(e.target); if (s) show(s); else hide(); });
  doc.addEventListener('focusout', function (e) { if (sentence(e.target)) hide(); });
  doc.addEventListener('keydown', function (e) { if (e.key === 'Escape') hide(); });
  window.addEventListener('scroll', function () { if (current && current !== doc.activeElement) hide(); }, {passive: true});
})();
"""
