// The console's whole style sheet, inlined in every page. Tables turn into cards on narrow screens.
export const STYLE = `
:root { --fg:#1d2330; --muted:#5d6675; --line:#dde1e8; --bg:#f6f7f9; --card:#fff; --accent:#2454c5;
  --red:#b42318; --red-bg:#fdecea; --amber:#8a5a00; --amber-bg:#fff4d6; --green:#1c6e3d; --green-bg:#e5f5ea; --grey-bg:#eceef2; }
* { box-sizing: border-box; }
body { margin:0; font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif; color:var(--fg); background:var(--bg); }
header { display:flex; flex-wrap:wrap; align-items:center; gap:.5rem 1.25rem; padding:.6rem 1rem; background:#1d2330; color:#fff; }
header a { color:#dfe6f5; text-decoration:none; }
header .brand { font-weight:700; color:#fff; }
header nav { display:flex; gap:1rem; flex:1; }
header nav a[aria-current] { color:#fff; border-bottom:2px solid #8fb0ff; }
header .sign-out { margin:0; }
header button.link { color:#dfe6f5; }
main { max-width:1150px; margin:0 auto; padding:1rem; }
h1 { font-size:1.35rem; margin:.4rem 0 1rem; } h2 { font-size:1.1rem; margin:1.6rem 0 .6rem; }
a { color:var(--accent); }
code, .id { font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace; font-size:.88em; overflow-wrap:break-word; word-break:break-word; }
td time, td.nowrap, #steps td[data-label=Step] { white-space:nowrap; }
.card > h2:first-child { margin-top:0; }
pre { background:var(--grey-bg); padding:.5rem .7rem; border-radius:6px; white-space:pre-wrap; overflow-wrap:anywhere; margin:.3rem 0; }
.muted { color:var(--muted); } .small { font-size:.85em; }
.notice { background:var(--amber-bg); color:var(--amber); padding:.6rem .8rem; border-radius:6px; }
.notice.ok { background:var(--green-bg); color:var(--green); }
.notice.bad { background:var(--red-bg); color:var(--red); }
table { width:100%; border-collapse:collapse; background:var(--card); border:1px solid var(--line); border-radius:8px; }
th, td { text-align:left; padding:.5rem .6rem; border-bottom:1px solid var(--line); vertical-align:top; }
th { font-size:.8rem; text-transform:uppercase; letter-spacing:.03em; color:var(--muted); background:#fafbfc; }
tr.low td { background:var(--red-bg); }
.badge { display:inline-block; padding:.05rem .5rem; border-radius:999px; font-size:.8rem; font-weight:600; white-space:nowrap; background:var(--grey-bg); }
.badge.completed, .badge.done { background:var(--green-bg); color:var(--green); }
.badge.needs_attention, .badge.failed, .badge.payment_failed { background:var(--red-bg); color:var(--red); }
.badge.processing, .badge.awaiting_payment, .badge.skipped { background:var(--amber-bg); color:var(--amber); }
.card { background:var(--card); border:1px solid var(--line); border-radius:8px; padding:.8rem 1rem; margin:.8rem 0; }
dl.facts { display:grid; grid-template-columns:max-content 1fr; gap:.3rem 1rem; margin:0; }
dl.facts dt { color:var(--muted); } dl.facts dd { margin:0; overflow-wrap:anywhere; }
form.decide { display:flex; flex-wrap:wrap; gap:.4rem; align-items:center; margin:.3rem 0 0; }
form.decide input[name=note] { flex:1 1 12rem; min-width:8rem; }
input, button, select { font:inherit; padding:.4rem .6rem; border:1px solid var(--line); border-radius:6px; }
button { cursor:pointer; background:#fff; }
button.primary { background:var(--accent); color:#fff; border-color:var(--accent); }
button.danger { background:var(--red); color:#fff; border-color:var(--red); }
button.link { background:none; border:none; padding:0; text-decoration:underline; }
form.filters { display:flex; flex-wrap:wrap; gap:.5rem; margin-bottom:.8rem; }
.pager { display:flex; gap:1rem; margin:.8rem 0; }
.signin { max-width:24rem; margin:3rem auto; }
.signin input { width:100%; margin:.3rem 0 .8rem; }
@media (max-width: 720px) {
  main { padding:.6rem; }
  table.cards, table.cards tbody, table.cards tr, table.cards td { display:block; width:100%; }
  table.cards thead { display:none; }
  table.cards { border:none; background:none; }
  table.cards tr { background:var(--card); border:1px solid var(--line); border-radius:8px; margin-bottom:.7rem; padding:.3rem 0; }
  table.cards td { border:none; padding:.25rem .7rem; }
  table.cards td:empty { display:none; }
  table.cards td[data-label]::before { content:attr(data-label); display:block; font-size:.75rem; text-transform:uppercase; color:var(--muted); }
}
`;
