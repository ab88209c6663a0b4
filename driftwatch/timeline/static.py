"""The report page's inline style sheet and its one small script (no network, no framework)."""

from __future__ import annotations

__all__ = ["SCRIPT", "STYLE"]

STYLE = """
:root{--bg:#fff;--fg:#1d2126;--muted:#5d6570;--line:#d8dce2;--card:#f6f7f9;--grid:#e3e6ea;
--accent:#c0392b;--ok:#1e7b4f;--warn:#a35c00;--focus:#1a66d6;color-scheme:light dark}
@media (prefers-color-scheme:dark){:root{--bg:#15181d;--fg:#e4e7eb;--muted:#a1a9b4;
--line:#343a43;--card:#1d2128;--grid:#2b3038;--accent:#ff7a6b;--ok:#5fd39b;--warn:#f0b04f;
--focus:#7fb0ff}}
*{box-sizing:border-box}
body{margin:0 auto;max-width:1440px;padding:1.5rem clamp(1rem,3vw,2.5rem);background:var(--bg);
color:var(--fg);
font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Liberation Sans",sans-serif}
h1{font-size:1.5rem;margin:0 0 .25rem}
h2{font-size:1.15rem;margin:0}
a{color:var(--focus)}
code,.mono{font-family:ui-monospace,"SFMono-Regular","DejaVu Sans Mono",Menlo,monospace;
font-size:.88em}
.meta{color:var(--muted);margin:.1rem 0}
.legend{display:flex;flex-wrap:wrap;gap:.4rem 1.2rem;margin:1rem 0;padding:.6rem .8rem;
background:var(--card);border:1px solid var(--line);border-radius:8px;list-style:none}
.legend li{display:flex;align-items:center;gap:.4rem}
.sw{display:inline-block;width:.95em;height:.95em;border-radius:3px;background:var(--c);
vertical-align:-.12em;border:1px solid rgba(127,127,127,.5)}
.sw.gone{background:repeating-linear-gradient(45deg,var(--muted) 0 2px,transparent 2px 5px)}
table{border-collapse:collapse;width:100%}
.scroll{overflow-x:auto}
th,td{text-align:left;padding:.35rem .6rem;border-bottom:1px solid var(--line);vertical-align:top}
th{font-weight:600;white-space:nowrap}
th button{font:inherit;color:inherit;background:none;border:0;padding:0;cursor:pointer}
th button::after{content:" \\2195";color:var(--muted)}
th[aria-sort=ascending] button::after{content:" \\2191"}
th[aria-sort=descending] button::after{content:" \\2193"}
td.num{font-variant-numeric:tabular-nums}
.now{display:block;white-space:nowrap}
.plat{color:var(--muted);font-size:.88em;margin-left:.3em}
.bad{color:var(--accent);font-weight:600}
.soon{color:var(--warn);font-weight:600}
.good{color:var(--ok)}
.ref{margin:1.6rem 0;padding:1rem 1.1rem;background:var(--card);border:1px solid var(--line);
border-radius:10px;break-inside:avoid}
.ref header{display:flex;flex-wrap:wrap;align-items:baseline;gap:.2rem 1rem}
.uses{margin:.35rem 0}
svg.timeline{display:block;width:100%;min-width:760px;height:auto;margin:.6rem 0 .2rem;
overflow:visible}
svg text{fill:var(--fg);font-size:11px;font-family:inherit}
svg .platform{text-anchor:end;fill:var(--muted)}
svg .year{font-weight:600}
svg .month,svg .edge{fill:var(--muted)}
svg .edge{text-anchor:end}
svg .grid{stroke:var(--grid);stroke-width:1;fill:none}
svg .band{fill:var(--c);fill-opacity:.55;stroke:var(--c);stroke-width:.8}
svg .band.gone{fill:url(#hatch);stroke:var(--muted)}
svg .blabel{font-size:10px;font-weight:600;pointer-events:none}
svg .band:hover{fill-opacity:.8}
svg .tick{stroke:var(--fg);stroke-opacity:.55;stroke-width:1;fill:none}
svg .tick.many{stroke-width:2.4;stroke-opacity:.8}
svg .tick.dense{stroke:none;fill:var(--fg);fill-opacity:.55}
svg .gap{fill:url(#hatch);opacity:.8}
svg .mark{cursor:pointer;outline:none}
svg .mark .shape{fill:var(--fg);stroke:var(--bg);stroke-width:1.6}
svg .mark.os-release .shape{fill:var(--accent)}
svg .mark:hover .shape,svg .mark:focus-visible .shape{stroke:var(--focus);stroke-width:3}
svg.defs{position:absolute;width:0;height:0}
details{margin-top:.4rem}
summary{cursor:pointer;color:var(--muted)}
.tip{position:absolute;z-index:10;max-width:34rem;padding:.45rem .6rem;border-radius:6px;
background:var(--fg);color:var(--bg);font-size:13px;white-space:pre-line;pointer-events:none;
box-shadow:0 4px 14px rgba(0,0,0,.25)}
.tip[hidden]{display:none}
footer{color:var(--muted);margin-top:2rem;font-size:.85rem}
@media print{:root{--bg:#fff;--fg:#000;--muted:#444;--card:#fff;--line:#bbb;--grid:#ddd}
body{padding:0;font-size:11pt}*{-webkit-print-color-adjust:exact;print-color-adjust:exact}
.tip,th button::after{display:none}svg.timeline{min-width:0}
.ref{border-color:#bbb;page-break-inside:avoid}
a{color:inherit;text-decoration:none}}
"""

SCRIPT = """
(function(){
var tip=document.getElementById("tip");
function show(m){tip.textContent=m.getAttribute("data-tip");tip.hidden=false;
var r=m.getBoundingClientRect(),w=tip.offsetWidth,max=document.documentElement.clientWidth-w-6;
tip.style.left=Math.max(6,Math.min(r.left+window.scrollX+r.width/2-w/2,max))+"px";
tip.style.top=(r.bottom+window.scrollY+8)+"px";}
function hide(){tip.hidden=true;}
function find(e,what){return e.target.closest?e.target.closest(what):null;}
document.addEventListener("mouseover",function(e){var m=find(e,".mark,.band");
if(m){show(m);}else{hide();}});
document.addEventListener("focusin",function(e){var m=find(e,".mark");
if(m){show(m);}else{hide();}});
document.addEventListener("focusout",hide);
document.addEventListener("keydown",function(e){if(e.key==="Escape"){hide();}});
document.querySelectorAll(".mark title").forEach(function(t){t.remove();});
window.addEventListener("beforeprint",function(){
document.querySelectorAll("details").forEach(function(d){d.open=true;});});
var table=document.getElementById("overview");
if(!table){return;}
table.querySelectorAll("th[data-type] button").forEach(function(b){
b.addEventListener("click",function(){
var th=b.parentElement,col=th.cellIndex,num=th.getAttribute("data-type")==="num";
var up=th.getAttribute("aria-sort")!=="ascending";
table.querySelectorAll("th[aria-sort]").forEach(function(h){h.removeAttribute("aria-sort");});
th.setAttribute("aria-sort",up?"ascending":"descending");
var body=table.tBodies[0],rows=Array.prototype.slice.call(body.rows);
rows.sort(function(a,c){var x=a.cells[col].getAttribute("data-v"),
y=c.cells[col].getAttribute("data-v");
var d=num?(+x)-(+y):x.localeCompare(y);return up?d:-d;});
rows.forEach(function(r){body.appendChild(r);});});});
})();
"""
