/** The dashboard's stylesheet, served as /dashboard/app.css (system fonts, no external resource). */
export const APP_CSS = String.raw`:root { --fg: #1b1f24; --muted: #6b7480; --line: #e3e6ea; --bg: #f6f7f9; --card: #fff; --bad: #c53030; --ok: #2e7d4f; --warn: #b7791f; --accent: #2f6fd0; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); }
header.top { display: flex; align-items: center; gap: 12px; padding: 8px 16px; background: #14233a; color: #fff; }
header.top a.brand { color: #fff; font-weight: 700; text-decoration: none; letter-spacing: .02em; }
.grow { flex: 1; }
.conn { font-size: 12px; padding: 1px 8px; border-radius: 10px; }
.conn.ok { background: #2e7d4f; } .conn.wait { background: #7a6a1f; } .conn.warn { background: #9c4221; } .conn.done { background: #4a5568; }
main { max-width: 1400px; margin: 0 auto; padding: 12px 16px 40px; }
h1 { font-size: 20px; margin: 4px 0 6px; } h2 { font-size: 15px; margin: 0 0 8px; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 6px; padding: 12px 14px; margin: 0 0 12px; }
.card.inert button:not(.link) { opacity: .5; }
.row { display: flex; flex-wrap: wrap; align-items: center; gap: 8px 12px; margin: 6px 0; }
label { color: var(--muted); font-size: 13px; }
input, select { font: inherit; padding: 3px 6px; border: 1px solid #c5cbd3; border-radius: 4px; color: var(--fg); background: #fff; }
button { font: inherit; padding: 4px 12px; border: 1px solid #9fb3d1; border-radius: 4px; background: #eef3fb; color: #143a73; cursor: pointer; }
button:hover:not(:disabled) { background: #dde8f8; } button:disabled { opacity: .5; cursor: default; }
button.danger { border-color: #e5a3a3; background: #fdf0f0; color: #8b1e1e; }
button.link { border: 0; background: none; color: #cfe0ff; padding: 0; }
button.skip { padding: 0 8px; font-size: 12px; }
button.link-dark { border: 0; background: none; color: var(--accent); padding: 0; }
#approve { border-color: #8cc79f; background: #e9f7ee; color: #1d5a34; font-weight: 600; }
table.rows { width: 100%; border-collapse: collapse; font-size: 13px; }
table.rows th { text-align: left; font-weight: 600; color: var(--muted); border-bottom: 1px solid var(--line); padding: 4px 8px 4px 0; }
table.rows td { border-bottom: 1px solid #f0f1f3; padding: 4px 8px 4px 0; vertical-align: top; }
tr.current td { background: #f3f7fd; }
code { font: 12px ui-monospace, SFMono-Regular, Menlo, monospace; }
.muted { color: var(--muted); } .small { font-size: 12px; } .bad { color: var(--bad); }
.error { color: var(--bad); margin: 4px 0; } .error:empty { display: none; }
.summary { margin: 4px 0; }
.result { margin: 8px 0 0; padding: 6px 10px; border-radius: 4px; } .result:empty { display: none; }
.result.ok { background: #eaf6ee; color: #1d5a34; } .result.error { background: #fdecec; color: #8b1e1e; } .result.wait { background: #f4f4f0; color: #555; }
.phase { display: inline-block; font-size: 12px; font-weight: 600; padding: 1px 8px; border-radius: 10px; background: #e2e8f0; color: #2d3748; vertical-align: middle; }
.p-running, .p-baking { background: #dbeafe; color: #1e40af; } .p-completed { background: #dcfce7; color: #166534; }
.p-paused, .p-awaiting_approval, .p-cancelling { background: #fef3c7; color: #92400e; }
.p-failed, .p-stopped_budget, .p-stopped_window, .p-stopped_stalled, .p-cancelled { background: #fee2e2; color: #991b1b; }
.banner { border-radius: 6px; padding: 8px 12px; margin: 0 0 12px; border: 1px solid; }
.banner.bad { background: #fdecec; border-color: #f3b4b4; } .banner.warn { background: #fff8e6; border-color: #f3d58a; } .banner.gate { background: #eaf6ee; border-color: #a7d9b8; }
.banner ul { margin: 6px 0 0; padding-left: 18px; }
.tag { font-size: 11px; background: #fee2e2; color: #991b1b; border-radius: 8px; padding: 0 6px; }
.o-failed { color: var(--bad); font-weight: 600; } .d-failed { color: var(--bad); } .d-delivered { color: var(--ok); }
.legend { display: flex; flex-wrap: wrap; gap: 4px 14px; font-size: 12px; color: var(--muted); margin: 0 0 8px; }
.sq { display: inline-block; width: 11px; height: 11px; border-radius: 2px; margin-right: 4px; vertical-align: -1px; }
.sq.down { box-shadow: inset 0 0 0 3px #dfe3e8; background: #1b1f24 !important; }
.c-R { background: #2e9d58; } .c-F { background: #d64545; } .c-U { background: #8a63d2; } .c-S { background: #9aa5b1; } .c-D { background: #c9a0dc; } .c-N { background: #5b6470; }
.c-H { background: #e0b400; } .c-r { background: #2f7bd9; } .c-l { background: #7fb3f0; } .c-w { background: #f08c2e; } .c-o { background: #a8cde8; } .c-p { background: #dfe3e8; }
.grid-wrap { position: relative; width: 100%; overflow-x: auto; }
#grid { display: block; }
.tip { position: absolute; pointer-events: none; background: #1b1f24; color: #fff; font-size: 12px; padding: 3px 8px; border-radius: 4px; white-space: nowrap; }
.selected { margin-top: 8px; padding: 6px 10px; background: #f3f7fd; border-radius: 4px; }
.approve { max-width: 640px; margin: 40px auto; }
.approve button { font-size: 16px; padding: 8px 20px; border-color: #8cc79f; background: #e9f7ee; color: #1d5a34; font-weight: 600; }
[hidden] { display: none !important; }
`;
