/**
 * The dashboard's style sheet, served as a hashed static asset. Colours meet WCAG AA contrast on
 * their backgrounds (text #1f2328 on #fff is 15.8:1, muted #57606a is 6.2:1, links #0550ae 7.6:1);
 * tables scroll inside their own box, so a phone never scrolls the page sideways.
 */
export const DASHBOARD_CSS = `
*,*::before,*::after{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1f2328;background:#f6f8fa}
a{color:#0550ae}
a:focus-visible,button:focus-visible,input:focus-visible,[tabindex]:focus-visible{outline:3px solid #0969da;outline-offset:2px}
.skip{position:absolute;left:-999px;top:0;background:#fff;padding:.5rem}
.skip:focus{left:.5rem}
header.top{display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:center;justify-content:space-between;padding:.75rem 1rem;background:#24292f;color:#fff}
header.top a{color:#fff;font-weight:600;text-decoration:none}
header.top .who{font-size:.875rem;display:flex;gap:.75rem;align-items:center;flex-wrap:wrap}
header.top button{background:transparent;color:#fff;border:1px solid #8c959f}
main{max-width:72rem;margin:0 auto;padding:1rem}
h1{font-size:1.5rem;margin:.5rem 0 1rem}
h2{font-size:1.125rem;margin:0 0 .75rem}
section.card,.card{background:#fff;border:1px solid #d0d7de;border-radius:6px;padding:1rem;margin:0 0 1rem;min-width:0}
.grid{display:grid;gap:1rem;grid-template-columns:repeat(auto-fit,minmax(min(100%,26rem),1fr))}
.figures{display:grid;gap:.75rem;grid-template-columns:repeat(auto-fit,minmax(9rem,1fr));margin:0 0 1rem;padding:0;list-style:none}
.figures li{background:#fff;border:1px solid #d0d7de;border-radius:6px;padding:.75rem}
.figures .value{display:block;font-size:1.75rem;font-weight:600}
.figures .label,.muted{color:#57606a;font-size:.875rem}
.table-wrap{overflow-x:auto;max-width:100%}
table{border-collapse:collapse;width:100%;font-size:.9375rem}
th,td{text-align:left;padding:.4rem .5rem;border-bottom:1px solid #d0d7de;vertical-align:top}
th{font-weight:600;background:#f6f8fa}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
button,.button{font:inherit;padding:.45rem .9rem;border-radius:6px;border:1px solid #1f2328;background:#1f883d;color:#fff;cursor:pointer;border-color:#1a7f37;text-decoration:none;display:inline-block}
button.secondary{background:#f6f8fa;color:#1f2328;border-color:#d0d7de}
form.sign-in{display:grid;gap:.75rem;max-width:28rem}
label{font-weight:600}
input[type=password],input[type=text],input[type=number]{font:inherit;width:100%;padding:.5rem;border:1px solid #6e7781;border-radius:6px}
.alert{border:1px solid #cf222e;background:#ffebe9;color:#82071e;padding:.75rem;border-radius:6px}
.ok{color:#116329}
.warn{color:#9a6700}
.bad{color:#a40e26}
.chart{width:100%;min-height:220px}
.chart .uplot{max-width:100%}
.or{margin:1.5rem 0 .75rem;color:#57606a}
.status{min-height:1.5rem}
h3{font-size:1rem;margin:0 0 .5rem}
figure.chart-card{margin:0}
details.numbers{margin-top:1rem}
summary{cursor:pointer;font-weight:600}
ul#held-plans,ul#pending-requests{list-style:none;padding:0;margin:0}
ul#pending-requests>li{border-top:1px solid #d0d7de;padding:.5rem 0}
ul#pending-requests>li:first-child{border-top:0}
form.decide .fields{display:grid;gap:.5rem 1rem;grid-template-columns:repeat(auto-fit,minmax(min(100%,14rem),1fr));margin:0 0 .5rem}
form.decide label{display:block;font-size:.875rem}
@media (max-width:30rem){.figures .value{font-size:1.375rem}main{padding:.75rem}}
`;
