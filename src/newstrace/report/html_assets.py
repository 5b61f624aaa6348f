"""The HTML report's inline style sheet, script and details panel (no external resource)."""

from __future__ import annotations

__all__ = ["CSS", "JS", "PANEL"]

CSS = """
:root{--ink:#1d2430;--muted:#5d6675;--line:#e2e6ec;--bg:#f5f6f8;--card:#fff;--accent:#2456a6;
--serif:Georgia,"Iowan Old Style","Times New Roman",serif;
--sans:system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
*{box-sizing:border-box}
html{scroll-padding-top:5rem}
body{margin:0;background:var(--bg);color:var(--ink);font:15px/1.5 var(--sans)}
a{color:var(--accent)}
.bar{position:sticky;top:0;z-index:10;background:rgba(255,255,255,.96);border-bottom:1px solid var(--line);
backdrop-filter:blur(4px)}
.bar-in{max-width:1280px;margin:0 auto;padding:.6rem 1.5rem;display:flex;gap:1.5rem;align-items:center;
flex-wrap:wrap}
.bar h1{font-size:1.05rem;margin:0;font-weight:650}
.bar nav{display:flex;gap:1rem;font-size:.9rem}
.bar nav a{text-decoration:none}
.toggle{margin-left:auto;display:flex;gap:.45rem;align-items:center;font-size:.9rem;cursor:pointer;
user-select:none}
.toggle input{width:1.05rem;height:1.05rem;accent-color:#c0392b}
main{max-width:1280px;margin:0 auto;padding:1.25rem 1.5rem 4rem}
.stats{color:var(--muted);margin:.2rem 0 1rem}
.card{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:1.1rem 1.4rem;
margin:0 0 1.25rem;box-shadow:0 1px 2px rgba(20,30,50,.04)}
h2{font-size:1.15rem;margin:.3rem 0 .8rem}
h3{font-size:1rem;margin:0}
.muted{color:var(--muted)}
.scroll{overflow-x:auto}
table.summary{border-collapse:collapse;width:100%;font-size:.88rem;margin-bottom:1rem}
table.summary th{text-align:left;font-weight:600;color:var(--muted);border-bottom:2px solid var(--line);
padding:.4rem .55rem;white-space:nowrap}
table.summary td{border-bottom:1px solid var(--line);padding:.45rem .55rem;vertical-align:top}
td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.note{color:var(--muted);font-size:.84rem}
.badge{display:inline-block;border-radius:999px;padding:.05rem .55rem;font-size:.78rem;background:#eef1f5;
color:#364152;font-weight:600}
.badge.type{background:#1d2430;color:#fff;text-transform:uppercase;letter-spacing:.04em}
.chip{--h:220;--s:10%;display:inline-block;border-radius:4px;padding:0 .4rem;font-size:.8rem;font-weight:600;
margin:0 .15rem .15rem 0;
background:hsl(var(--h) var(--s) 88%);color:hsl(var(--h) var(--s) 24%)}
.chip.sev-harmless{background:hsl(var(--h) var(--s) 95%);color:hsl(var(--h) 20% 35%);font-weight:500}
ul.legend{list-style:none;padding:0;margin:.6rem 0 0;display:grid;
grid-template-columns:repeat(auto-fill,minmax(360px,1fr));
gap:.35rem 1.5rem}
ul.legend li{display:flex;gap:.5rem;align-items:baseline;font-size:.88rem}
.swatch{cursor:default;font-size:.82rem;min-width:6.3rem;text-align:center;padding:0 .25rem}
.desc{color:var(--muted)}
.relation h2{display:flex;align-items:center;gap:.6rem}
.rel-docs{display:grid;grid-template-columns:1fr auto 1fr;gap:1rem;align-items:start;margin-bottom:.6rem}
.rel-docs .arrow{font-size:1.6rem;color:var(--muted);padding-top:.6rem}
.lbl{display:block;font-size:.72rem;text-transform:uppercase;letter-spacing:.06em;color:var(--muted)}
.doc-id{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.85rem}
.rel-docs .doc-title{display:block;font-family:var(--serif);font-size:1.05rem}
dl.facts{display:grid;grid-template-columns:9rem 1fr;gap:.25rem 1rem;margin:.4rem 0 1rem;font-size:.9rem}
dl.facts dt{color:var(--muted)}
dl.facts dd{margin:0}
ul.evidence{margin:0;padding-left:1.1rem}
.passage{border-top:1px solid var(--line);padding-top:1rem;margin-top:1rem}
.passage-head{display:flex;gap:1rem;align-items:baseline;flex-wrap:wrap;margin-bottom:.6rem}
.passage-head .muted{font-size:.85rem}
.cols{display:grid;grid-template-columns:1fr 1fr;gap:1.25rem}
@media (max-width:800px){.cols,.rel-docs{grid-template-columns:1fr}.rel-docs .arrow{display:none}}
.side{min-width:0}
.side-label{font-size:.8rem;color:var(--muted);
border-bottom:1px solid var(--line);padding-bottom:.2rem;margin-bottom:.5rem;overflow:hidden;
text-overflow:ellipsis;white-space:nowrap}
.side-label b{font-size:.72rem;text-transform:uppercase;letter-spacing:.06em;margin-right:.4rem}
.side-label code{font-size:.8rem}
.text{font-family:var(--serif);font-size:1.02rem;line-height:1.7;white-space:pre-wrap;overflow-wrap:anywhere}
.chg{--h:220;--s:10%;border-radius:3px;cursor:pointer;color:inherit;padding:0 1px}
.chg.s-meaning,.chg.s-unknown{background:hsl(var(--h) var(--s) 84%);
box-shadow:inset 0 -2px 0 hsl(var(--h) var(--s) 38%)}
.chg.s-harmless{background:hsl(var(--h) var(--s) 96%);box-shadow:none;
border-bottom:1.5px dotted hsl(var(--h) calc(var(--s) * .7) 62%)}
.chg:hover,.chg:focus-visible{outline:2px solid hsl(var(--h) var(--s) 38%);outline-offset:1px}
.chg-point{display:inline-block;width:.9em;height:1.1em;vertical-align:-.15em;padding:0;margin:0 1px;
border-radius:3px;text-align:center;line-height:1.1em;font:700 .7em/1.6 var(--sans)}
.chg-point::before{content:"▸";color:hsl(var(--h) var(--s) 32%)}
.chg.chg-point.s-harmless{border-bottom:none;background:hsl(var(--h) var(--s) 92%)}
.chg.current{outline:2px solid #111;outline-offset:2px}
.chg.flash{animation:flash 1.6s ease-out}
@keyframes flash{0%,30%{box-shadow:0 0 0 6px rgba(255,196,0,.85)}100%{box-shadow:0 0 0 0 rgba(255,196,0,0)}}
body.meaning-only .chg.s-harmless[data-change]{background:none;border-bottom:none;box-shadow:none;cursor:text;
outline:none}
body.meaning-only .chg-point.s-harmless,body.meaning-only .change-row.s-harmless{display:none}
details.changes{margin-top:.8rem}
details.changes>summary{cursor:pointer;color:var(--muted);font-size:.88rem}
ol.change-list{list-style:none;margin:.4rem 0 0;padding:0;font-size:.88rem}
.change-row{display:grid;grid-template-columns:7.5rem minmax(0,1.3fr) minmax(0,1.7fr) auto;gap:.75rem;
padding:.3rem .4rem;border-bottom:1px solid var(--line);cursor:pointer;align-items:baseline}
.change-row:hover,.change-row.current{background:#f6f8fb}
.change-row .chip{justify-self:start}
.change-row del{text-decoration:line-through;text-decoration-color:rgba(0,0,0,.35);color:#6b2a2a}
.change-row ins{text-decoration:none;color:#1e5631}
.change-row .expl{color:var(--muted)}
.change-row .jump{white-space:nowrap;font-size:.8rem}
.change-row.s-harmless{opacity:.8}
#details{position:fixed;right:1.25rem;bottom:1.25rem;width:min(420px,calc(100vw - 2.5rem));z-index:20;
background:#fff;border:1px solid #c9d0da;border-radius:10px;box-shadow:0 10px 30px rgba(20,30,50,.18);
padding:1rem 1.1rem;font-size:.9rem}
#details[hidden]{display:none}
#details .close{position:absolute;top:.4rem;right:.6rem;border:0;background:none;font-size:1.3rem;
cursor:pointer;
color:var(--muted)}
#details dl{display:grid;grid-template-columns:5.5rem 1fr;gap:.3rem .8rem;margin:.5rem 0 0}
#details dt{color:var(--muted)}
#details dd{margin:0;overflow-wrap:anywhere}
#details .q{font-family:var(--serif)}
#details .sev-meaning{color:#b3261e;font-weight:700}
.documents summary{cursor:pointer}
details.document>summary{cursor:pointer;font-size:.95rem}
details.document>summary .doc-title{font-family:var(--serif);font-size:1.02rem;margin:0 .4rem}
details.document[open]>summary{margin-bottom:.5rem}
.fulltext{border-top:1px solid var(--line);padding-top:.8rem;max-width:48rem}
a.psg{color:inherit;text-decoration:none;background:#fdf6d8}
a.psg.psg-many{background:#f9e7a6}
a.psg:hover{background:#f6df8a}
details.removed{margin:.2rem 0 .8rem;font-size:.85rem}
details.removed summary{cursor:pointer;color:var(--muted)}
.empty{font-size:1rem}
footer{color:var(--muted);font-size:.8rem;text-align:center;margin-top:2rem}
@media print{.bar,#details{display:none}details.document{display:block}}
"""

JS = r"""
(function(){
  "use strict";
  var panel=document.getElementById("details");
  function byId(id){return document.getElementById(id);}
  function openAncestors(el){
    for(var d=el.closest("details");d;d=d.parentElement&&d.parentElement.closest("details")){d.open=true;}
  }
  function flash(el){
    if(!el)return;
    openAncestors(el);
    el.classList.remove("flash");void el.offsetWidth;el.classList.add("flash");
    el.scrollIntoView({block:"center",behavior:"smooth"});
  }
  function setText(sel,value){panel.querySelector(sel).textContent=value;}
  function show(cid,from){
    var row=byId(cid);if(!row)return;
    document.querySelectorAll(".current").forEach(function(x){x.classList.remove("current");});
    var src=byId(cid+"-src"),tgt=byId(cid+"-tgt");
    [row,src,tgt].forEach(function(x){if(x)x.classList.add("current");});
    setText(".d-kind",row.dataset.kind);
    setText(".d-severity",row.dataset.severity);
    panel.querySelector(".d-severity").className="d-severity sev-"+row.dataset.severity;
    setText(".d-source",row.dataset.sourceText?"\u201c"+row.dataset.sourceText+"\u201d":"(nothing)");
    setText(".d-target",row.dataset.targetText?"\u201c"+row.dataset.targetText+"\u201d":"(nothing)");
    setText(".d-expl",row.dataset.explanation);
    setText(".d-where","source "+row.dataset.sourceSpan+" \u2194 target "+row.dataset.targetSpan);
    panel.querySelector(".d-go-src").setAttribute("href","#"+cid+"-src");
    panel.querySelector(".d-go-tgt").setAttribute("href","#"+cid+"-tgt");
    panel.dataset.change=cid;
    panel.hidden=false;
    // Scroll to and flash the counterpart of what was clicked (the source, from the list).
    var counterpart=from==="src"?tgt:src;
    flash(counterpart);
  }
  document.addEventListener("click",function(ev){
    var t=ev.target;
    if(!(t instanceof Element))return;
    var mark=t.closest(".chg[data-change]");
    if(mark){
      if(document.body.classList.contains("meaning-only")&&mark.dataset.severity==="harmless")return;
      ev.preventDefault();show(mark.dataset.change,mark.id.slice(-3));return;
    }
    var jump=t.closest("a[data-jump]");
    if(jump){
      ev.preventDefault();
      show(jump.closest(".change-row").id,jump.dataset.jump==="src"?"tgt":"src");return;
    }
    var go=t.closest("#details a.go");
    if(go){ev.preventDefault();flash(byId(go.getAttribute("href").slice(1)));return;}
    if(t.closest("#details .close")){panel.hidden=true;return;}
    var row=t.closest(".change-row");
    if(row&&!t.closest("a")){show(row.id,"list");return;}
    var a=t.closest('a[href^="#"]');
    if(a){var el=byId(a.getAttribute("href").slice(1));if(el){openAncestors(el);}}
  });
  document.addEventListener("keydown",function(ev){
    if(ev.key==="Escape"){panel.hidden=true;return;}
    var t=ev.target;
    if((ev.key==="Enter"||ev.key===" ")&&t instanceof Element&&t.matches(".chg[data-change]")){
      ev.preventDefault();t.click();
    }
  });
  var toggle=byId("meaning-only");
  function applyToggle(){document.body.classList.toggle("meaning-only",toggle.checked);}
  toggle.addEventListener("change",applyToggle);applyToggle();
  if(location.hash){var el=byId(location.hash.slice(1));if(el){openAncestors(el);el.scrollIntoView();}}
})();
"""

PANEL = """<aside id="details" data-testid="details" hidden aria-live="polite">
<button class="close" type="button" aria-label="Close">×</button>
<strong>Change</strong>
<dl><dt>kind</dt><dd class="d-kind"></dd><dt>severity</dt><dd class="d-severity"></dd>
<dt>source</dt><dd class="d-source q"></dd><dt>target</dt><dd class="d-target q"></dd>
<dt>why</dt><dd class="d-expl"></dd><dt>where</dt><dd><span class="d-where"></span><br>
<a class="go d-go-src" href="#">go to source</a> · <a class="go d-go-tgt" href="#">go to target</a></dd></dl>
</aside>"""
