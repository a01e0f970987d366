/**
 * Playground — drives the public API from the page: fills the controls from /v1/models and
 * /v1/schedules, streams /v1/completions with telemetry (SSE), tints each token by the entropy
 * of the distribution it was drawn from, and charts temperature and entropy against token index
 * (uPlot, loaded as a classic script before this module runs). Every API error is shown in the
 * page's alert region with the field it names.
 *
 * "Run in this browser" imports /local/engine.js (src/browser/local-app.ts, bundled by
 * scripts/build-assets.mjs): the same app and engine, in the page, sent the same requests.
 *
 * For tests and curious readers: each run is an <article data-run> whose charts carry
 * `data-points` (points per sample), each token a <span> carrying its telemetry as data-*.
 */

/** Sample colours; n is at most MAX_N (8). */
const COLOURS = ["#0b5cad", "#c2410c", "#15803d", "#7e22ce", "#b91c1c", "#0e7490", "#a16207", "#be185d"];
const MODES_WITH_GAIN = new Set(["exact", "marginal", "proxy"]);

const $ = (id) => document.getElementById(id);
const form = $("controls");
const errorBox = $("error");
const statusLine = $("status");
const runsBox = $("runs");

/** ln V of the served model, nats: the highest entropy a target can ask for. */
let maxEntropy = Math.log(4096);
let modelName = "";
/** Which ONNX file of it the server runs (GET /v1/schedules `dtype`): the in-browser engine loads the same one. */
let modelDtype = "fp32";
/** Runs of the latest Generate, for the downloads. */
let runs = [];
let abort;
/** The in-browser app, imported and built on first use. */
let localApp;

function localEngine() {
  localApp ??= import("/local/engine.js")
    .then((m) => m.createLocalApp(modelName || "kjv-gpt2-4m", new URL("/", location.href).href, modelDtype))
    .catch((err) => {
      localApp = undefined;
      throw err;
    });
  return localApp;
}

/** Headers for /v1, with the bearer key when one is entered. */
function headers() {
  const key = $("api-key").value.trim();
  return { "Content-Type": "application/json", ...(key ? { Authorization: `Bearer ${key}` } : {}) };
}

/** An API failure: the status and the OpenAI-style error body's message and param. */
class ApiFailure extends Error {
  constructor(status, error) {
    super(error?.message ?? `HTTP ${status}`);
    this.status = status;
    this.param = error?.param ?? null;
  }
}

async function failureOf(res) {
  const body = await res.json().catch(() => undefined);
  return new ApiFailure(res.status, body?.error);
}

async function getJson(path) {
  const res = await fetch(path, { headers: headers() });
  if (!res.ok) throw await failureOf(res);
  return res.json();
}

function showError(label, err) {
  const where = err.param ? ` (field: ${err.param})` : "";
  const status = err.status ? `${err.status} ` : "";
  const line = document.createElement("p");
  line.style.margin = "0";
  line.textContent = `${label}: ${status}${err.message}${where}`;
  errorBox.append(line);
}

/** Fill the model name and the target range from the server's description of what it serves. */
async function describeServer() {
  errorBox.replaceChildren();
  const hint = $("target-hint");
  try {
    const [models, fitted] = await Promise.all([getJson("/v1/models"), getJson("/v1/schedules")]);
    const model = models.data[0];
    modelName = model.id;
    modelDtype = fitted.dtype ?? "fp32";
    maxEntropy = Math.log(model.vocab_size);
    $("model-name").textContent = `${model.id} (vocabulary ${model.vocab_size}, ${model.max_positions} positions)`;
    $("target").max = maxEntropy.toFixed(3);
    const range = fitted.target_range;
    // One meaning of target in every mode (README, Modes): the marginal over 30 continuations of the prompt.
    const parts = [`Target: the marginal entropy over 30 continuations of this prompt, 0 to ln V = ${maxEntropy.toFixed(3)} nats.`];
    parts.push(
      "The charts show what one request can measure: each sample's own entropy, and with n > 1 the marginal over its n samples; both read below the target by the gaps fitted per target (GET /v1/schedules), more for fewer samples.",
    );
    parts.push(range ? `schedule mode: fitted targets ${range[0]} to ${range[1]} nats.` : "schedule mode: no fitted schedules for this model.");
    parts.push(fitted.calibration ? `proxy mode: calibrated (${fitted.calibration.statistic}).` : "proxy mode: no calibration, runs the fitted schedule (the run says so).");
    hint.textContent = parts.join(" ");
  } catch (err) {
    hint.textContent = "The server could not describe its model; see the message above.";
    showError("Loading the model description", err);
  }
}

/** The request body for one run; `fixed` overrides the mode with the fixed-T comparison. */
function requestBody(fixed) {
  const mode = fixed ? "fixed" : form.mode.value;
  const number = (input) => (input.value.trim() === "" ? undefined : Number(input.value));
  const entropy = { mode };
  if (mode !== "fixed") entropy.target = number(form.target);
  if (MODES_WITH_GAIN.has(mode) && number(form.gain) !== undefined) entropy.gain = number(form.gain);
  const body = {
    model: modelName,
    prompt: form.prompt.value,
    max_tokens: number(form.max_tokens),
    n: number(form.n),
    seed: number(form.seed),
    stream: true,
    telemetry: true,
    entropy,
  };
  if (mode === "fixed") body.temperature = number(form.temperature);
  return JSON.parse(JSON.stringify(body));
}

/** The `data:` payloads of an SSE response, parsed, as they arrive. */
async function* events(res) {
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    buffer += value;
    for (let end = buffer.indexOf("\n\n"); end >= 0; end = buffer.indexOf("\n\n")) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      if (!block.startsWith("data: ")) continue;
      const data = block.slice(6);
      if (data === "[DONE]") return;
      yield JSON.parse(data);
    }
  }
}

/** Tint for an entropy, nats: blue (certain) to red (ln V). */
function tint(entropy) {
  const x = Math.min(1, Math.max(0, entropy / maxEntropy));
  return `hsl(${Math.round(220 - 220 * x)} 85% 55% / 0.35)`;
}

const fmt = (x) => (x == null ? "–" : x.toFixed(3));

/** A uPlot chart inside `box`, sized to it. */
function chart(box, title, series, yLabel) {
  const h = document.createElement("h3");
  h.textContent = title;
  const host = document.createElement("div");
  box.append(h, host);
  const width = () => Math.max(260, box.clientWidth);
  const plot = new uPlot(
    {
      width: width(),
      height: 200,
      scales: { x: { time: false } },
      axes: [{ label: "token index" }, { label: yLabel }],
      series: [{ label: "t" }, ...series],
      legend: { live: false },
    },
    [[]].concat(series.map(() => [])),
    host,
  );
  new ResizeObserver(() => plot.setSize({ width: width(), height: 200 })).observe(box);
  return plot;
}

/** One generation's panel: report line, sample texts, last-token table and charts. */
function createRun(label, request, local) {
  const n = request.n ?? 1;
  const article = document.createElement("article");
  article.className = "run";
  article.dataset.run = label;
  if (local) article.dataset.local = "true";
  article.setAttribute("aria-label", label);
  const heading = document.createElement("h2");
  heading.textContent = request.entropy.mode === "fixed" ? `fixed T = ${request.temperature ?? 1}` : `${request.entropy.mode}, target ${request.entropy.target} nats`;
  const report = document.createElement("p");
  report.className = "report";
  report.textContent = "waiting for the first token…";
  const samples = document.createElement("div");
  samples.className = "samples";
  const rows = [];
  for (let i = 0; i < n; i++) {
    const figure = document.createElement("figure");
    figure.className = "sample";
    figure.style.setProperty("--c", COLOURS[i % COLOURS.length]);
    const text = document.createElement("p");
    text.className = "sample-text";
    text.dataset.sample = String(i);
    const prompt = document.createElement("span");
    prompt.className = "prompt";
    prompt.textContent = request.prompt;
    text.append(prompt);
    figure.append(text);
    samples.append(figure);
    rows.push({ text: "", telemetry: [], finish_reason: null, node: text });
  }
  const tableWrap = document.createElement("div");
  tableWrap.className = "table-wrap";
  const table = document.createElement("table");
  table.innerHTML =
    "<caption class='hint'>Last token of each sample</caption><thead><tr><th scope='col'>sample</th><th scope='col'>tokens</th><th scope='col'>T</th><th scope='col'>H (nats)</th><th scope='col'>estimate</th><th scope='col'>marginal H</th></tr></thead>";
  const tbody = document.createElement("tbody");
  const cells = rows.map((_, i) => {
    const tr = document.createElement("tr");
    tr.dataset.sample = String(i);
    tr.innerHTML = `<th scope="row" style="color:${COLOURS[i % COLOURS.length]}">#${i}</th><td data-k="tokens">0</td><td data-k="temperature">–</td><td data-k="entropy">–</td><td data-k="entropy_estimate">–</td><td data-k="marginal_entropy">–</td>`;
    tbody.append(tr);
    return tr;
  });
  table.append(tbody);
  tableWrap.append(table);
  const charts = document.createElement("div");
  article.append(heading, report, samples, tableWrap, charts);
  runsBox.append(article);

  const temperatureBox = document.createElement("div");
  temperatureBox.className = "chart";
  temperatureBox.dataset.chart = "temperature";
  const entropyBox = document.createElement("div");
  entropyBox.className = "chart";
  entropyBox.dataset.chart = "entropy";
  charts.append(temperatureBox, entropyBox);
  const perSample = (name, extra = {}) => rows.map((_, i) => ({ label: `${name} #${i}`, stroke: COLOURS[i % COLOURS.length], width: 1.5, ...extra }));
  const target = request.entropy.mode === "fixed" ? undefined : request.entropy.target;
  const temperaturePlot = chart(temperatureBox, "Temperature", perSample("T"), "T");
  const entropySeries = [
    ...perSample("H"),
    ...perSample("estimate", { dash: [4, 4], width: 1 }),
    ...(target !== undefined ? [{ label: "target", stroke: "#000", dash: [8, 4], width: 1 }] : []),
    ...(n > 1 ? [{ label: "marginal H(p̄)", stroke: "#000", width: 2.5 }] : []),
  ];
  const entropyPlot = chart(entropyBox, n > 1 ? `Entropy per sample, and marginal over these ${n} (target: over 30)` : "Entropy per sample (target: marginal over 30)", entropySeries, "nats");

  let drawPending = false;
  function draw() {
    drawPending = false;
    const length = Math.max(0, ...rows.map((r) => r.telemetry.length));
    const x = Array.from({ length }, (_, t) => t);
    const column = (row, key) => x.map((t) => row.telemetry[t]?.[key] ?? null);
    temperaturePlot.setData([x, ...rows.map((r) => column(r, "temperature"))]);
    const marginal = x.map((t) => rows.map((r) => r.telemetry[t]?.marginal_entropy).find((h) => h != null) ?? null);
    entropyPlot.setData([
      x,
      ...rows.map((r) => column(r, "entropy")),
      ...rows.map((r) => column(r, "entropy_estimate")),
      ...(target !== undefined ? [x.map(() => target)] : []),
      ...(n > 1 ? [marginal] : []),
    ]);
    const counts = (plot) =>
      plot.data
        .slice(1, 1 + n)
        .map((s) => s.filter((v) => v != null).length)
        .join(",");
    temperatureBox.dataset.points = counts(temperaturePlot);
    entropyBox.dataset.points = counts(entropyPlot);
  }

  const run = { label, request, local, backend: null, entropy: null, rows, article };
  const backendLine = document.createElement("span");
  backendLine.className = "notice";
  return {
    run,
    /** Say where the generation ran: this browser's backend, and why not WebGPU. */
    ranOn(backend) {
      run.backend = backend.name;
      article.dataset.backend = backend.name;
      backendLine.textContent = `ran in this browser on ${backend.name}${backend.note ? ` (${backend.note})` : ""}`;
    },
    /** Take one streamed chunk. */
    accept(chunk) {
      if (chunk.entropy) {
        run.entropy = chunk.entropy;
        const e = chunk.entropy;
        report.replaceChildren(`mode run: ${e.mode}${e.mode !== e.requested_mode ? ` (requested ${e.requested_mode})` : ""} · seed ${e.seed}`);
        if (run.local) report.append(backendLine);
        report.dataset.mode = e.mode;
        if (e.notice) report.append(Object.assign(document.createElement("span"), { className: "notice", textContent: `notice: ${e.notice}` }));
        if (e.fallback) {
          report.append(Object.assign(document.createElement("span"), { className: "notice", textContent: `fallback to ${e.fallback.mode} after token ${e.fallback.at_token}: ${e.fallback.reason}` }));
        }
      }
      for (const choice of chunk.choices) {
        const row = rows[choice.index];
        row.text += choice.text;
        if (choice.finish_reason) row.finish_reason = choice.finish_reason;
        for (const entry of choice.telemetry ?? []) {
          row.telemetry.push(entry);
          const span = document.createElement("span");
          span.className = "tok";
          span.textContent = entry.text;
          span.style.background = tint(entry.entropy);
          span.title = `token ${row.telemetry.length - 1}: T ${fmt(entry.temperature)}, H ${fmt(entry.entropy)} nats, estimate ${fmt(entry.entropy_estimate)}, logprob ${fmt(entry.logprob)}`;
          for (const key of ["token_id", "temperature", "entropy", "entropy_estimate", "marginal_entropy", "logprob"]) span.dataset[key] = String(entry[key] ?? "");
          row.node.append(span);
          const cellsOf = cells[choice.index];
          cellsOf.querySelector("[data-k=tokens]").textContent = String(row.telemetry.length);
          for (const key of ["temperature", "entropy", "entropy_estimate", "marginal_entropy"]) cellsOf.querySelector(`[data-k=${key}]`).textContent = fmt(entry[key]);
        }
      }
      if (!drawPending) {
        drawPending = true;
        requestAnimationFrame(draw);
      }
    },
    done() {
      article.dataset.done = "true";
    },
  };
}

/** Stream one run into its panel; errors are thrown as ApiFailure. */
async function stream(view, signal) {
  const init = { method: "POST", headers: headers(), body: JSON.stringify(view.run.request), signal };
  let res;
  if (view.run.local) {
    const engine = await localEngine();
    res = await engine.app.request("/v1/completions", init);
    // the request loaded the model (or failed to)
    if (res.ok) view.ranOn(await engine.backend());
  } else {
    res = await fetch("/v1/completions", init);
  }
  if (!res.ok) throw await failureOf(res);
  for await (const chunk of events(res)) {
    // an error after the status line arrives as an event, and ends the stream
    if (chunk.error) throw new ApiFailure(0, chunk.error);
    view.accept(chunk);
  }
}

async function generate(event) {
  event.preventDefault();
  errorBox.replaceChildren();
  runsBox.replaceChildren();
  abort = new AbortController();
  const requests = [["steered", requestBody(false)]];
  if (form.compare.checked) requests.push(["fixed", requestBody(true)]);
  const local = form.local.checked;
  const views = requests.map(([label, request]) => createRun(label, request, local));
  runs = views.map((v) => v.run);
  $("generate").disabled = true;
  $("stop").disabled = false;
  statusLine.textContent = local && !localApp ? "Loading the engine and the model into this browser…" : "Generating…";
  const started = performance.now();
  const outcomes = await Promise.allSettled(views.map((view) => stream(view, abort.signal).finally(() => view.done())));
  outcomes.forEach((outcome, i) => {
    if (outcome.status === "fulfilled") return;
    const err = outcome.reason;
    if (err.name === "AbortError") return;
    showError(views.length > 1 ? `The ${requests[i][0]} run failed` : "The request failed", err instanceof ApiFailure ? err : { message: String(err.message ?? err) });
    views[i].run.article.remove();
  });
  const tokens = runs.reduce((sum, run) => sum + run.rows.reduce((s, r) => s + r.telemetry.length, 0), 0);
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  statusLine.textContent = abort.signal.aborted ? `Stopped after ${tokens} tokens.` : `Done: ${tokens} tokens.`;
  // the time stays out of the text, so the README's screenshot is the same on every run
  statusLine.title = `${seconds} s`;
  $("generate").disabled = false;
  $("stop").disabled = true;
  const any = runs.some((r) => r.entropy !== null);
  $("download-json").disabled = !any;
  $("download-csv").disabled = !any;
}

/** What the downloads hold: each run's request, entropy report and per-token telemetry. */
function telemetryDocument() {
  return runs.map(({ label, request, backend, entropy, rows }) => ({
    run: label,
    request,
    ran_in: backend ? `browser (${backend})` : "server",
    entropy,
    choices: rows.map((r, index) => ({ index, text: r.text, finish_reason: r.finish_reason, telemetry: r.telemetry })),
  }));
}

const CSV_COLUMNS = ["token_id", "text", "temperature", "entropy_estimate", "entropy", "marginal_entropy", "logprob"];

function csvCell(value) {
  const s = value == null ? "" : String(value);
  return /[",\n\r]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

function telemetryCsv() {
  const lines = [["run", "mode", "sample", "index", ...CSV_COLUMNS].join(",")];
  for (const run of runs) {
    run.rows.forEach((row, sample) => {
      row.telemetry.forEach((entry, index) => {
        lines.push([run.label, run.entropy?.mode, sample, index, ...CSV_COLUMNS.map((k) => entry[k])].map(csvCell).join(","));
      });
    });
  }
  return `${lines.join("\n")}\n`;
}

function download(name, type, text) {
  const a = document.createElement("a");
  a.href = URL.createObjectURL(new Blob([text], { type }));
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
}

form.addEventListener("submit", generate);
$("stop").addEventListener("click", () => abort?.abort());
$("api-key").addEventListener("change", describeServer);
$("download-json").addEventListener("click", () => download("isentropic-telemetry.json", "application/json", `${JSON.stringify(telemetryDocument(), null, 2)}\n`));
$("download-csv").addEventListener("click", () => download("isentropic-telemetry.csv", "text/csv", telemetryCsv()));
describeServer();
