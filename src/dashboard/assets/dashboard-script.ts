/**
 * The dashboard's browser script, served as a hashed static asset (the page's CSP allows
 * scripts from CEOS only, never inline). It draws each `[data-chart]` with uPlot from the JSON
 * block the page carries, and sends the confirm buttons' POSTs to the API with the session's
 * CSRF token, as do the seat requests' Approve and Decline buttons. Written for the browsers' own JavaScript: nothing to build.
 */
export const DASHBOARD_SCRIPT = String.raw`(function () {
  'use strict';
  var csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || '';

  function drawChart(el) {
    var source = document.getElementById(el.getAttribute('data-chart'));
    if (!source || typeof uPlot === 'undefined') return;
    var spec = JSON.parse(source.textContent);
    var series = [{}].concat(spec.series.map(function (s) {
      return { label: s.label, stroke: s.color, width: 2, value: function (u, v) { return v == null ? '–' : (spec.unit === '%' ? v.toFixed(1) + ' %' : spec.unit === 'USD' ? v.toLocaleString('en-US') + ' USD' : String(v)); } };
    }));
    var width = Math.max(260, el.clientWidth);
    var plot = new uPlot({
      width: width,
      height: 220,
      series: series,
      scales: { x: { time: true }, y: spec.unit === '%' ? { range: [0, 100] } : {} },
      axes: [{ stroke: '#57606a' }, { stroke: '#57606a', size: 60 }],
      // Labels only: the numbers behind each chart are in the table below it.
      legend: { live: false },
    }, [spec.x].concat(spec.y), el);
    el.setAttribute('data-drawn', 'true');
    el.setAttribute('data-points', String(spec.x.length));
    if (typeof ResizeObserver !== 'undefined') {
      new ResizeObserver(function () {
        var w = Math.max(260, el.clientWidth);
        if (w !== plot.width) plot.setSize({ width: w, height: 220 });
      }).observe(el);
    }
  }

  function confirmForm(form) {
    form.addEventListener('submit', function (event) {
      event.preventDefault();
      var status = form.querySelector('.status');
      var button = form.querySelector('button');
      button.disabled = true;
      status.textContent = 'Confirming…';
      fetch(form.action, {
        method: 'POST',
        credentials: 'same-origin',
        headers: { 'content-type': 'application/json', 'x-csrf-token': csrf },
        body: '{}',
      }).then(function (response) {
        return response.json().then(function (body) {
          if (response.ok) {
            status.textContent = 'Confirmed: a run will cancel the held seats that are still due.';
            setTimeout(function () { window.location.reload(); }, 1500);
          } else {
            status.textContent = (body && body.error && body.error.message) || ('Refused (' + response.status + ').');
            button.disabled = false;
          }
        });
      }).catch(function () {
        status.textContent = 'CEOS could not be reached; try again.';
        button.disabled = false;
      });
    });
  }

  // One form per request, two submit buttons: the one pressed picks the API route.
  function requestForm(form) {
    var buttons = form.querySelectorAll('button');
    var status = form.querySelector('.status');
    function enable(on) { buttons.forEach(function (b) { b.disabled = !on; }); }
    form.addEventListener('submit', function (event) {
      event.preventDefault();
      var decision = event.submitter && event.submitter.value === 'decline' ? 'decline' : 'approve';
      var body = {};
      var reason = form.elements.reason.value.trim();
      if (reason) body.reason = reason;
      var days = form.elements.expires_in_days.value.trim();
      if (decision === 'approve' && days) body.expires_in_days = Number(days);
      enable(false);
      status.className = 'status';
      status.textContent = decision === 'approve' ? 'Approving…' : 'Declining…';
      fetch(form.getAttribute('data-' + decision), {
        method: 'POST',
        credentials: 'same-origin',
        headers: { 'content-type': 'application/json', 'x-csrf-token': csrf },
        body: JSON.stringify(body),
      }).then(function (response) {
        return response.json().then(function (answer) {
          if (response.ok) {
            status.textContent = decision === 'decline'
              ? 'Declined: the request is closed.'
              : answer.job_id
                ? 'Approved: a grant override is recorded and a reconciliation is queued to give the seat.'
                : 'Approved: a grant override is recorded; the installation is not active, so no run was queued.';
            setTimeout(function () { window.location.reload(); }, 1500);
          } else {
            // The API's message says why, with the numbers for a cap or budget refusal.
            status.className = 'status bad';
            status.textContent = (answer && answer.error && answer.error.message) || ('Refused (' + response.status + ').');
            enable(true);
          }
        });
      }).catch(function () {
        status.className = 'status bad';
        status.textContent = 'CEOS could not be reached; try again.';
        enable(true);
      });
    });
  }

  document.querySelectorAll('[data-chart]').forEach(drawChart);
  document.querySelectorAll('form[data-request-form]').forEach(requestForm);
  document.querySelectorAll('form[data-confirm-plan]').forEach(confirmForm);
})();
`;
